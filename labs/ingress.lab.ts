import { container, defineLab, workloads } from 'podlab';

/**
 * Ingress on real nginx, as ingress-nginx runs it: pod ingress-nginx/controller serves the
 * Ingresses below, its nginx.conf rendered in generated/ingress/ingress/nginx.conf. A client on
 * the "internet" reaches it through the load-balancer address:
 *   podlab exec ingress host/internet -- curl -s -H 'Host: shop.example.com' http://172.16.94.241/api/v1
 *   podlab exec ingress host/internet -- curl -sk --resolve shop.example.com:443:172.16.94.241 https://shop.example.com/
 *   podlab exec ingress host/internet -- curl -si -H 'Host: secure.example.com' http://172.16.94.241/   (308, to https://secure.example.com)
 * The http-echo pods answer with their name, the path and the headers they saw (X-Forwarded-*).
 */
/** The controller's load-balancer address (the first of the pool). */
const LB = 'lb/ingress-nginx/ingress-nginx-controller';

export default defineLab({
  name: 'ingress',
  description: 'Ingress by path and by host, a wildcard host, TLS with SNI, a default backend and an HTTPS redirect, on real nginx behind a LoadBalancer.',
  nodes: {
    'control-plane': { role: 'control-plane' },
    'worker-1': {},
    'worker-2': {},
  },
  cni: 'flannel',
  pods: {
    'web-1': { node: 'worker-1', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'web-2': { node: 'worker-2', labels: { app: 'web' }, containers: [container(workloads.httpEcho(8080))] },
    'api-1': { node: 'worker-2', labels: { app: 'api' }, containers: [container(workloads.httpEcho(9000))] },
    'blog-1': { node: 'worker-1', labels: { app: 'blog' }, containers: [container(workloads.httpEcho(8080))] },
    'fallback': { node: 'control-plane', labels: { app: 'fallback' }, containers: [container(workloads.httpEcho(8080))] },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    api: { selector: { app: 'api' }, ports: [{ port: 8080, targetPort: 9000 }] },
    blog: { selector: { app: 'blog' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    fallback: { selector: { app: 'fallback' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  hosts: { internet: { network: 'external' } },
  loadBalancer: { pool: '172.16.94.240/28' },
  ingressClasses: { nginx: { default: true } },
  ingresses: {
    // Two apps on one host by path; served over HTTPS too (a certificate from the lab's CA).
    // A host with TLS gets plain HTTP redirected to HTTPS by default, as with ingress-nginx; shop
    // opts out so that the routing below can be seen over plain HTTP as well as over HTTPS.
    shop: {
      ingressClassName: 'nginx',
      annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 8080 } } } },
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
            ],
          },
        },
      ],
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    },
    // By host: an exact host and a wildcard covering one label.
    blog: {
      rules: [
        { host: 'blog.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'blog', port: { name: 'http' } } } }] } },
        { host: '*.blog.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'blog', port: { number: 80 } } } }] } },
      ],
    },
    // TLS and nothing said about redirects: plain HTTP to this host is answered 308 to https://
    // (ingress-nginx's default, ssl-redirect "true").
    secure: {
      rules: [{ host: 'secure.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      tls: [{ hosts: ['secure.example.com'], secretName: 'secure-tls' }],
    },
    // The redirect belongs to each Ingress's own paths: this one's /status on the same host stays
    // plain HTTP (a monitor that does not follow redirects), while the rest of the host redirects.
    'secure-status': {
      annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
      rules: [{ host: 'secure.example.com', http: { paths: [{ path: '/status', pathType: 'Exact', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
    // Whatever no rule matches.
    fallback: { defaultBackend: { service: { name: 'fallback', port: { number: 80 } } } },
  },
  checks: [
    // By path on one host: /api to the api Service, the rest to web (round robin over both web pods).
    { kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', path: '/api/v1/items', expectService: 'api' },
    { kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', path: '/', requests: 20, expectService: 'web', expectSpread: 2 },
    // Prefix is element-wise: /apiary is not under /api.
    { kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', path: '/apiary', expectService: 'web' },
    // By host: the exact host, a wildcard of one label; two labels fall through to the default backend.
    { kind: 'http', from: 'host/internet', to: LB, host: 'blog.example.com', expectService: 'blog' },
    { kind: 'http', from: 'host/internet', to: LB, host: 'dev.blog.example.com', expectService: 'blog' },
    { kind: 'http', from: 'host/internet', to: LB, host: 'a.dev.blog.example.com', expectService: 'fallback' },
    { kind: 'http', from: 'host/internet', to: LB, host: 'unknown.example.org', expectService: 'fallback' },
    // The backend sees who asked, and how, in the forwarding headers.
    { kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', path: '/api', expectHeaders: { 'x-forwarded-host': 'shop.example.com', 'x-forwarded-proto': 'http' } },
    // TLS: SNI picks the certificate (verified against the lab's CA), the request goes on as HTTP.
    { kind: 'http', from: 'host/internet', to: LB, https: true, sni: 'shop.example.com', path: '/api', expectService: 'api', expectHeaders: { 'x-forwarded-proto': 'https' } },
    // The default redirect: plain HTTP to secure.example.com is sent to HTTPS, where web answers;
    // /status, of an Ingress that says ssl-redirect "false", answers plain HTTP.
    { kind: 'http', from: 'host/internet', to: LB, host: 'secure.example.com', path: '/a/', expectStatus: 308, expectLocation: 'https://secure.example.com/a' },
    { kind: 'http', from: 'host/internet', to: LB, https: true, sni: 'secure.example.com', expectService: 'web' },
    { kind: 'http', from: 'host/internet', to: LB, host: 'secure.example.com', path: '/status', expectService: 'web' },
    // Inside the cluster the controller's ClusterIP works the same.
    { kind: 'http', from: 'web-1', to: 'svc/ingress-nginx/ingress-nginx-controller', host: 'shop.example.com', path: '/api', expectService: 'api' },
  ],
  scenarios: {
    // podlab scenario ingress backend-recreated
    'backend-recreated': {
      description: 'a backend pod is re-created with a new IP; nginx reloads with the new upstream and traffic follows',
      steps: [
        { action: 'recreate-pod', pod: 'api-1' },
        { check: { kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', path: '/api', expectPod: 'api-1' } },
        { action: 'recreate-pod', pod: 'web-1' },
        { check: { kind: 'http', from: 'host/internet', to: LB, host: 'shop.example.com', requests: 20, expectSpread: 2, expectService: 'web' } },
      ],
    },
  },
});
