import { defineExercise } from 'podlab';
import { solution } from './solution.lab.ts';

/**
 * From the course's part on Ingress: "route /api and / of one host to two Services, and serve it
 * over TLS" (keeping plain HTTP, which a host with TLS redirects by default, as ingress-nginx
 * does). Students submit a lab: the starter with `ingresses` added (only those are taken).
 *   podlab exercise show exercises/ingress-tls --student alice
 *   podlab grade exercises/ingress-tls submissions/*.lab.ts
 */

/** Per-student choice of the host; `podlab exercise test` grades the seed "solution"'s, for which the broken labs are written. */
export const variants = { host: ['shop.example.com', 'store.example.com'] };

const LB = 'lb/ingress-nginx/ingress-nginx-controller';

export default defineExercise((v) => {
  const host = String(v.host);
  return {
    title: 'Route a host by path with an Ingress, and serve it over TLS',
    task: `
The shop runs a web app (Service \`web\`, two replicas) and an API (Service \`api\`, one pod);
both Services name their port \`http\`. The cluster has ingress-nginx with the default
IngressClass \`nginx\`, exposed on a load-balancer address. Nothing routes to the shop yet.

Add one Ingress so that, for the host **${host}**:

- requests under \`/api\` (\`/api\`, \`/api/v1/…\`, but not \`/apiary\`) go to Service \`api\`;
- every other path goes to Service \`web\`;
- refer to both backends by their port **name**, \`http\`;
- the host is served over HTTPS too, with a certificate (Secret \`shop-tls\`) that is valid for it;
- plain HTTP keeps answering as well, from the same Services: the shop's old clients do not
  follow redirects. Once a host has TLS, ingress-nginx answers its plain HTTP with \`308\` to
  \`https://\` unless the Ingress says otherwise (docs/ingress.md, "TLS").

Try it: \`podlab up exercises/ingress-tls/starter.lab.ts\` (then your own copy) and
\`podlab exec ingress-tls host/laptop -- curl -si -H 'Host: ${host}' http://172.16.94.241/api/v1\`;
\`podlab explain <your lab file> --http ${host}/api/v1\` says which rule a request meets and
whether it is redirected; read \`generated/ingress-tls/ingress/nginx.conf\` after \`podlab render\`.

Submit your lab file: the starter with \`ingresses\` added. Only \`ingresses\` is taken from it.
`,
    starter: 'starter.lab.ts',
    solution: solution(host),
    submission: { editable: ['ingresses'] },
    rubric: [
      {
        id: 'api-by-path',
        title: `${host}/api/v1 reaches Service api`,
        points: 3,
        hint: 'A Prefix path /api matches /api and everything below it, element by element; the longest matching path wins whatever the order. An answer 308 is the redirect to HTTPS of a host with TLS: nginx.ingress.kubernetes.io/ssl-redirect: "false" keeps plain HTTP answering.',
        check: { kind: 'http', from: 'host/laptop', to: LB, host, path: '/api/v1/items', expectService: 'api' },
      },
      {
        id: 'web-rest',
        title: `every other path of ${host} reaches Service web, spread over both replicas`,
        points: 3,
        hint: 'A Prefix path / catches whatever no longer path matches; its backend is web, port name http. An answer 308 is the redirect to HTTPS of a host with TLS: nginx.ingress.kubernetes.io/ssl-redirect: "false" keeps plain HTTP answering.',
        check: { kind: 'http', from: 'host/laptop', to: LB, host, path: '/cart', requests: 10, expectService: 'web', expectSpread: 2 },
      },
      {
        id: 'prefix-elements',
        title: `${host}/apiary is not the API's`,
        points: 1,
        hidden: true,
        hint: 'Prefix matches whole path elements: /api does not cover /apiary. ImplementationSpecific (nginx prefix) would.',
        check: { kind: 'http', from: 'host/laptop', to: LB, host, path: '/apiary', expectService: 'web' },
      },
      {
        id: 'tls',
        title: `https://${host}/api answers with a certificate valid for ${host}`,
        points: 3,
        hint: `List ${host} under tls[].hosts with a secretName: the controller then serves that certificate when a client asks for ${host} (SNI).`,
        check: { kind: 'http', from: 'host/laptop', to: LB, https: true, sni: host, path: '/api', expectService: 'api' },
      },
    ],
    broken: [
      { file: 'broken/exact-api.lab.ts', fails: ['api-by-path'], why: 'Exact /api matches only /api itself: /api/v1/items goes to web' },
      { file: 'broken/implementation-specific.lab.ts', fails: ['prefix-elements'], why: 'ImplementationSpecific is nginx prefix matching: /apiary goes to the API' },
      { file: 'broken/missing-tls-host.lab.ts', fails: ['tls'], why: 'no tls section: HTTPS gets the default certificate, not valid for the host' },
      { file: 'broken/redirected.lab.ts', fails: ['api-by-path', 'web-rest', 'prefix-elements'], why: 'TLS with ssl-redirect at its default: every plain HTTP request is answered 308 to https://' },
    ],
  };
});
