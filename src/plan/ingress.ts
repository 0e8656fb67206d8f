/**
 * Pass "ingress" of the plan: podlab's ingress controller as ingress-nginx installs it — pod
 * ingress-nginx/controller (a container running real nginx) behind Service
 * ingress-nginx/ingress-nginx-controller (LoadBalancer from the lab's pool, or NodePort) — and
 * the files it reads: nginx.conf (rendered from the served Ingresses and the endpoints of the
 * moment), its run directory and the certificates issued at `up`.
 */
import { renderNginxConf } from '../ingress/nginx-conf.ts';
import { tlsSecrets } from '../ingress/tls.ts';
import { INGRESS, served, type Ingress, type IngressClass, type LabIngress } from '../ingress/types.ts';
export { ingressPod, ingressService } from '../ingress/controller.ts';
import type { Endpoint, PlanService } from './services.ts';

export interface PlanIngress {
  /** The Ingresses podlab's controller serves (its classes'), in declaration order. */
  ingresses: Ingress[];
  /**
   * The Ingresses no controller of the lab serves (another controller's class, or no class and no
   * default one): the API lists them, nginx.conf leaves them out, as ingress-nginx ignores them.
   */
  others?: Ingress[];
  /** Every IngressClass of the lab, served by podlab's controller or not (the API lists them). */
  classes: IngressClass[];
  node: string;
  namespace: string;
  pod: string;
  service: string;
  /** nginx.conf as the runtime keeps it (rendered/ingress/nginx.conf below the state directory). */
  confFile: string;
  /** nginx's pid file and temporary files; owned by the controller's user. */
  runDir: string;
  /** The lab CA, the default certificate and one certificate per TLS Secret, made with openssl at `up`. */
  tlsDir: string;
  secrets: { file: string; namespace: string; secret: string; hosts: string[] }[];
}

export function planIngress(ing: LabIngress | undefined, stateDir: string): PlanIngress | undefined {
  if (!ing) return undefined;
  const ingresses = ing.ingresses.filter((i) => served(ing, i));
  const others = ing.ingresses.filter((i) => !served(ing, i));
  return {
    ingresses,
    ...(others.length ? { others } : {}),
    classes: ing.classes,
    node: ing.controller.node,
    namespace: INGRESS.namespace,
    pod: INGRESS.podName,
    service: INGRESS.serviceName,
    confFile: `${stateDir}/rendered/ingress/nginx.conf`,
    runDir: `${stateDir}/ingress/run`,
    tlsDir: `${stateDir}/ingress/tls`,
    secrets: tlsSecrets(ingresses),
  };
}

/** nginx.conf for the plan's served Ingresses and the given endpoints (the planned ones by default). */
export function nginxConf(plan: { lab: string; source: string; ipFamilies?: readonly string[]; ingress?: PlanIngress; services: readonly PlanService[]; endpoints: Record<string, Endpoint[]> }, endpoints = plan.endpoints): string {
  const ing = plan.ingress!;
  return renderNginxConf({ lab: plan.lab, source: plan.source, ingresses: ing.ingresses, services: plan.services, endpoints, runDir: ing.runDir, tlsDir: ing.tlsDir, ...(plan.ipFamilies && !plan.ipFamilies.includes('IPv4') ? { ipv6Only: true } : {}) });
}
