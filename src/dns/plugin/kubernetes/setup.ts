/**
 * `kubernetes [ZONES…] { … }` → KubernetesConfig (coredns.io/plugins/kubernetes). podlab answers
 * from the lab's plan instead of an API server, so the properties that say how to reach the API
 * server (kubeconfig, endpoint, tls) or which objects to watch (labels, namespace_labels) are
 * accepted and ignored with a warning; everything that shapes answers is implemented.
 */
import type { Directive, KubernetesConfig } from '../../types.ts';
import { arity, fallthrough, intOf, oneOf, properties, type Scope, zonesOrServer } from '../../corefile/check.ts';

const PODS = ['disabled', 'insecure', 'verified'] as const;

export function setupKubernetes(d: Directive, s: Scope): KubernetesConfig {
  const config: KubernetesConfig = {
    plugin: 'kubernetes',
    zones: zonesOrServer(s, d.args, 'zone'),
    pods: 'disabled',
    fallthrough: undefined,
    ttl: 5,
    endpointPodNames: false,
    noendpoints: false,
  };
  // CoreDNS: "non-reverse zone name must be used" (it needs one zone to build service names in).
  if (config.zones.length && config.zones.every((z) => z.endsWith('.in-addr.arpa.') || z.endsWith('.ip6.arpa.') || z === 'in-addr.arpa.' || z === 'ip6.arpa.')) {
    s.error('PL4004', d.args[0]?.pos ?? d.pos, `has only reverse zones (${config.zones.length > 3 ? `${config.zones.slice(0, 3).join(', ')} and ${config.zones.length - 3} more` : config.zones.join(', ')}); it needs a forward zone such as cluster.local`, 'Add the cluster domain first, e.g. "kubernetes cluster.local in-addr.arpa ip6.arpa".');
  }
  let namespaceLabels: Directive | undefined;
  properties(s, d, {
    handlers: {
      pods: (p) => {
        if (arity(s, 'property "pods"', p.pos, p.args, 1, 1, 'pods disabled|insecure|verified')) {
          config.pods = oneOf(s, p.args[0]!, 'property "pods"', PODS) ?? config.pods;
        }
      },
      fallthrough: (p) => {
        config.fallthrough = fallthrough(s, p);
      },
      ttl: (p) => {
        if (arity(s, 'property "ttl"', p.pos, p.args, 1, 1, 'ttl SECONDS (0-3600)')) {
          config.ttl = intOf(s, p.args[0]!, 'property "ttl"', 0, 3600) ?? config.ttl;
        }
      },
      endpoint_pod_names: (p) => {
        arity(s, 'property "endpoint_pod_names"', p.pos, p.args, 0, 0, 'endpoint_pod_names');
        config.endpointPodNames = true;
      },
      namespaces: (p) => {
        if (arity(s, 'property "namespaces"', p.pos, p.args, 1, Infinity, 'namespaces NAMESPACE...')) {
          config.namespaces = [...(config.namespaces ?? []), ...p.args.map((a) => a.text)];
        }
      },
      noendpoints: (p) => {
        arity(s, 'property "noendpoints"', p.pos, p.args, 0, 0, 'noendpoints');
        config.noendpoints = true;
      },
      // Accepted for compatibility, checked as CoreDNS checks them, then ignored with a warning.
      kubeconfig: (p) => ignored(p, 1, 2, 'kubeconfig KUBECONFIG [CONTEXT]', 'podlab reads the lab\'s plan, not an API server'),
      endpoint: (p) => ignored(p, 1, Infinity, 'endpoint URL', 'podlab reads the lab\'s plan, not an API server'),
      tls: (p) => ignored(p, 3, 3, 'tls CERT KEY CACERT', 'podlab reads the lab\'s plan, not an API server'),
      labels: (p) => ignored(p, 1, Infinity, 'labels EXPRESSION', 'every Service of the lab is served'),
      namespace_labels: (p) => {
        namespaceLabels = p;
        ignored(p, 1, Infinity, 'namespace_labels EXPRESSION', 'every namespace of the lab is served');
      },
      ignore: (p) => {
        if (arity(s, 'property "ignore"', p.pos, p.args, 1, 1, 'ignore empty_service') && oneOf(s, p.args[0]!, 'property "ignore"', ['empty_service'])) {
          s.warn('PL4016', p.pos, 'property "ignore empty_service" is accepted but ignored by podlab: Services without ready endpoints still get records');
        }
      },
    },
    repeatable: ['namespaces'],
  });
  if (namespaceLabels && config.namespaces) {
    s.error('PL4004', namespaceLabels.pos, 'namespaces and namespace_labels cannot both be set', 'Keep one of them, as CoreDNS requires.');
  }
  return config;

  function ignored(p: Directive, min: number, max: number, usage: string, why: string): void {
    if (arity(s, `property "${p.name}"`, p.pos, p.args, min, max, usage)) {
      s.warn('PL4016', p.pos, `property "${p.name}" is accepted but ignored by podlab: ${why}`);
    }
  }
}
