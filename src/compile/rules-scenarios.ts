/**
 * Rules for scenarios: every action names a pod, container or node the lab has, a Corefile it
 * would load is one that loads, and a scale never makes a copy whose name a declared pod has.
 * (Checks inside scenarios are validated with the lab's own checks.)
 */
import { diag, type Diagnostic } from './diagnostics.ts';
import type { Lab } from './lab.ts';
import { checkCorefile } from '../dns/corefile/diagnostics.ts';
import { replicaName } from '../plan/names.ts';
import { nearest } from './schema-issues.ts';

export function scenariosAreValid(lab: Lab, out: Diagnostic[]): void {
  const pods = new Map(lab.pods.map((p) => [p.name, p]));
  const nodes = new Set(lab.nodes.map((n) => n.name));
  const hosts = new Set(lab.hosts.map((h) => h.name));
  const didYouMean = (name: string, known: Iterable<string>) => {
    const s = nearest(name, [...known]);
    return s ? `Did you mean "${s}"?` : `Known: ${[...known].join(', ') || '(none)'}.`;
  };
  for (const sc of lab.scenarios) {
    for (const step of sc.steps) {
      const a = step.action;
      if (!a) continue;
      const at = (...p: (string | number)[]) => [...step.path, ...p];
      const what = `scenario "${sc.name}", step ${Number(step.path.at(-1)) + 1} (${a.action})`;
      if ('pod' in a) {
        const pod = pods.get(a.pod);
        if (!pod) {
          out.push(diag('PL2029', at('pod'), `${what}: the lab has no pod "${a.pod}"`, didYouMean(a.pod, pods.keys())));
          continue;
        }
        if (a.action === 'restart-container' && !pod.containers.some((c) => c.name === a.container))
          out.push(diag('PL2029', at('container'), `${what}: pod "${a.pod}" has no container "${a.container}"`, didYouMean(a.container, pod.containers.map((c) => c.name))));
        if (a.action === 'scale') {
          if (pod.hostNetwork && a.replicas > 1)
            out.push(diag('PL2029', at('replicas'), `${what}: pod "${a.pod}" uses the node's network; copies of it would take the same ports on the same node`));
          for (let n = 2; n <= a.replicas; n++)
            if (pods.has(replicaName(a.pod, n))) {
              out.push(diag('PL2029', at('replicas'), `${what}: copy ${n} of "${a.pod}" would be named "${replicaName(a.pod, n)}", which is a pod of the lab already`, 'Rename that pod, or scale a different one.'));
              break;
            }
        }
      }
      if ((a.action === 'link-down' || a.action === 'link-up') && !nodes.has(a.node))
        out.push(diag('PL2029', at('node'), `${what}: the lab has no node "${a.node}"`, didYouMean(a.node, nodes)));
      if (a.action === 'exec') {
        const ok = a.from.startsWith('node/') ? nodes.has(a.from.slice(5)) : a.from.startsWith('host/') ? hosts.has(a.from.slice(5)) : pods.has(a.from);
        if (!ok) out.push(diag('PL2029', at('from'), `${what}: "${a.from}" is neither a pod, node/<name> nor host/<name> of this lab`));
      }
      if (a.action === 'reload-dns') {
        if (!lab.dns) out.push(diag('PL2029', at('action'), `${what}: the lab has no cluster DNS (dns: false)`));
        else if (a.corefile !== undefined) out.push(...checkCorefile(a.corefile, lab.dns.files, at('corefile'), 'Corefile').diagnostics);
      }
    }
  }
}
