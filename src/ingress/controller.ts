/**
 * podlab's ingress controller as Kubernetes objects, the way ingress-nginx installs it: the pod
 * ingress-nginx/controller and the Service ingress-nginx/ingress-nginx-controller in front of it.
 * Plain data shaped as the resolved lab's pods and Services (the plan adds them like cluster
 * DNS's; validation lets checks name them).
 */
import { INGRESS, type LabIngress } from './types.ts';

/** The controller pod: one container, `@nginx` (runtime: nginx as an unprivileged user allowed to bind 80 and 443). */
export function ingressPod(ing: LabIngress, confFile: string) {
  return {
    name: INGRESS.podName,
    namespace: INGRESS.namespace,
    node: ing.controller.node,
    labels: { ...INGRESS.labels },
    hostNetwork: false as const,
    containers: [
      {
        name: INGRESS.containerName,
        command: ['@nginx', confFile],
        ports: [
          { name: 'http', containerPort: INGRESS.httpPort, protocol: 'TCP' as const },
          { name: 'https', containerPort: INGRESS.httpsPort, protocol: 'TCP' as const },
        ],
        env: {},
        restartPolicy: 'Always' as const,
      },
    ],
    dnsPolicy: 'ClusterFirst' as const,
  };
}

/** ingress-nginx's controller Service: http and https to the pod's named ports. */
export function ingressService(ing: LabIngress) {
  return {
    name: INGRESS.serviceName,
    namespace: INGRESS.namespace,
    type: ing.controller.serviceType,
    selector: { ...INGRESS.labels },
    ports: [
      { name: 'http', protocol: 'TCP' as const, port: INGRESS.httpPort, targetPort: 'http' },
      { name: 'https', protocol: 'TCP' as const, port: INGRESS.httpsPort, targetPort: 'https' },
    ],
    sessionAffinity: 'None' as const,
    externalTrafficPolicy: 'Cluster' as const,
    internalTrafficPolicy: 'Cluster' as const,
    // IPv6 primary: dual stack, IPv6 first (a load-balancer address in IPv6 comes only beside an IPv4 one, docs/dual-stack.md).
    ...(ing.controller.ipv6Only ? { ipFamilyPolicy: 'SingleStack' as const, ipFamilies: ['IPv6' as const] } : ing.controller.family === 'IPv6' ? { ipFamilyPolicy: 'RequireDualStack' as const, ipFamilies: ['IPv6' as const, 'IPv4' as const] } : { ipFamilyPolicy: 'SingleStack' as const, ipFamilies: [ing.controller.family] }),
  };
}


/** The lab's pods and Services with the controller's added, as checks may name them (`lb/ingress-nginx/ingress-nginx-controller`). */
export function withController<L extends { ingress?: LabIngress; pods: readonly unknown[]; services: readonly unknown[] }>(lab: L, confFile = ''): L {
  if (!lab.ingress) return lab;
  return { ...lab, pods: [...lab.pods, ingressPod(lab.ingress, confFile)], services: [...lab.services, ingressService(lab.ingress)] };
}
