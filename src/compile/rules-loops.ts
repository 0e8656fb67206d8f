/**
 * Rules of the control loops: probes that name a port the container does not declare or do not
 * say how to probe, Deployments whose selector does not select their own template, negative
 * replicas, and templates no node can take (a warning: the pods stay Pending, as in Kubernetes).
 */
import { diag, warning, type Diagnostic, type Path } from './diagnostics.ts';
import type { Lab, LabContainer } from './lab.ts';
import type { LabProbe } from './loops.ts';

type Rule = (lab: Lab, out: Diagnostic[]) => void;

/** Every container the author wrote in a pod or a Deployment's template, with where it was written. */
function writtenContainers(lab: Lab): { c: LabContainer; path: Path; owner: string }[] {
  const out: { c: LabContainer; path: Path; owner: string }[] = [];
  for (const p of lab.pods) if (!p.owner) p.containers.forEach((c, i) => out.push({ c, path: ['pods', p.name, 'containers', i], owner: `pod "${p.name}"` }));
  for (const d of lab.deployments) d.containers.forEach((c, i) => out.push({ c, path: ['deployments', d.name, 'template', 'containers', i], owner: `Deployment "${d.name}"` }));
  return out;
}

function checkProbe(probe: LabProbe, field: 'readinessProbe' | 'livenessProbe', c: LabContainer, path: Path, owner: string, out: Diagnostic[]): void {
  const at = [...path, field];
  if (probe.handlers !== 1) {
    out.push(diag('PL2304', at, `${owner} container "${c.name}": a ${field} needs exactly one of exec, tcpSocket and httpGet (it has ${probe.handlers})`, "Say how to probe: exec: { command: [...] }, tcpSocket: { port }, or httpGet: { port, path }."));
    return;
  }
  const a = probe.action;
  if (a.kind !== 'exec') {
    const declared = c.ports.filter((p) => p.protocol === 'TCP');
    const ok = typeof a.port === 'number' ? declared.some((p) => p.containerPort === a.port) : declared.some((p) => p.name === a.port);
    if (!ok) {
      const list = declared.map((p) => (p.name ? `${p.containerPort} (${p.name})` : String(p.containerPort))).join(', ') || 'none';
      // A name must be one of the container's ports (the kubelet cannot resolve it otherwise); a
      // number need not be declared (Kubernetes accepts it), but unless something listens there
      // the probe fails: a warning, so that the lab can show what such a probe does.
      if (typeof a.port === 'number') {
        const then = field === 'readinessProbe' ? 'the pod is never ready' : 'the container is restarted over and over';
        out.push(warning('PL2308', [...at, a.kind, 'port'], `${owner} container "${c.name}": the ${field} probes port ${a.port}, which the container does not declare: unless something listens there, the probe fails and ${then}`, `The container's TCP ports: ${list}. Probe one of them, or declare the port under ports (Kubernetes accepts an undeclared port number).`));
      } else {
        out.push(diag('PL2300', [...at, a.kind, 'port'], `${owner} container "${c.name}": the ${field} probes port ${JSON.stringify(a.port)}, which the container does not declare`, `The container's TCP ports: ${list}. Probe one of them, or declare the port under ports.`));
      }
    }
  }
  if (field === 'livenessProbe' && probe.settings.successThreshold !== 1) {
    out.push(diag('PL2305', [...at, 'successThreshold'], `${owner} container "${c.name}": a livenessProbe's successThreshold must be 1`, 'Remove successThreshold (Kubernetes rejects any other value for liveness and startup probes).'));
  }
}

export const probesAreValid: Rule = (lab, out) => {
  for (const { c, path, owner } of writtenContainers(lab)) {
    if (c.readinessProbe) checkProbe(c.readinessProbe, 'readinessProbe', c, path, owner, out);
    if (c.livenessProbe) checkProbe(c.livenessProbe, 'livenessProbe', c, path, owner, out);
  }
};

export const deploymentsAreValid: Rule = (lab, out) => {
  const nodes = lab.nodes.map((n) => n.name);
  for (const d of lab.deployments) {
    const at: Path = ['deployments', d.name];
    if (d.replicas < 0) out.push(diag('PL2302', [...at, 'replicas'], `Deployment "${d.name}": replicas is ${d.replicas}`, 'replicas counts pods: 0 or more.'));
    const missing = Object.entries(d.selector).filter(([k, v]) => d.labels[k] !== v);
    if (missing.length) {
      out.push(diag('PL2301', [...at, 'selector'], `Deployment "${d.name}": selector ${JSON.stringify(d.selector)} does not match the template's labels ${JSON.stringify(d.labels)}`, "The selector must select the template's own pods (the API server rejects it too): make template.labels include it."));
    }
    if (d.placement.nodeName !== undefined && !nodes.includes(d.placement.nodeName)) {
      out.push(diag('PL2306', [...at, 'template', 'nodeName'], `Deployment "${d.name}": no node "${d.placement.nodeName}"`, `The lab's nodes: ${nodes.join(', ')}.`));
    } else if (d.pending > 0 && d.replicas > 0) {
      const node = lab.nodes[0];
      out.push(
        warning('PL2303', [...at, 'template', d.placement.nodeSelector ? 'nodeSelector' : 'nodeName'], `Deployment "${d.name}": no node fits ${JSON.stringify(d.placement.nodeSelector ?? d.placement)}; its ${d.pending} pod(s) stay Pending`, `Node labels are kubernetes.io/hostname, podlab.dev/node, kubernetes.io/os and node-role.kubernetes.io/control-plane${node ? ` (e.g. kubernetes.io/hostname: ${node.name})` : ''}.`),
      );
    }
  }
};

export const LOOP_RULES: Rule[] = [probesAreValid, deploymentsAreValid];
