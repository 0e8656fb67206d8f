/**
 * A planned container as the Kubernetes API shows it, in a pod's spec and in a lab file's
 * Deployment template alike: the image a manifest would name for the same built-in workload (one
 * that src/k8s/images.ts maps back to it, so a template read with kubectl and sent back, as
 * `kubectl set env`, `rollout restart` or `get -o yaml | replace` do, validates), its args, ports,
 * environment and probes. A container running a command of its own shows that command.
 */
import type { PlanContainer } from '../../plan/plan.ts';
import type { PlanProbe } from '../../plan/loops.ts';

/** The images and args of podlab's built-in programs, as the image table maps them back. */
function imageAndArgs(argv: readonly string[]): { image: string; args?: string[]; command?: string[] } {
  if (argv[0] === '@workload') {
    const [, kind, , port] = argv;
    if (kind === 'http-echo') return { image: 'hashicorp/http-echo:1.0', args: [`-listen=:${port}`] };
    return { image: 'registry.k8s.io/e2e-test-images/agnhost:2.53', args: ['serve-hostname', '--http=false', kind === 'udp-echo' ? '--udp' : '--tcp', `--port=${port}`] };
  }
  if (argv[0] === '@dns') return { image: 'registry.k8s.io/coredns/coredns:v1.11.3', args: ['-conf', '/etc/coredns/Corefile'] };
  if (argv[0] === '@nginx') return { image: 'registry.k8s.io/ingress-nginx/controller:v1.11.3', args: ['/nginx-ingress-controller'] };
  // A command of the author's own: what it runs, under an image named after its program.
  return { image: `podlab/${(argv[0] ?? 'pause').split('/').at(-1)}`, command: [...argv] };
}

/** A planned probe as a container's readinessProbe or livenessProbe. */
export function probeObject(p: PlanProbe): Record<string, unknown> {
  const a = p.action;
  const action = a.kind === 'exec' ? { exec: { command: a.command } } : a.kind === 'tcpSocket' ? { tcpSocket: { port: a.port } } : { httpGet: { path: a.path, port: a.port, scheme: 'HTTP' } };
  return { ...action, ...p.settings };
}

/** The image podlab shows for a container's program (a written template may name another). */
export const shownImage = (c: PlanContainer): string => c.image ?? imageAndArgs(c.argv).image;

export function containerObject(c: PlanContainer): Record<string, unknown> {
  return {
    name: c.name,
    ...imageAndArgs(c.argv),
    ...(c.image ? { image: c.image } : {}),
    ...(Object.keys(c.env).length ? { env: Object.entries(c.env).map(([name, value]) => ({ name, value })) } : {}),
    ...(c.ports.length ? { ports: c.ports.map((q) => ({ ...(q.name ? { name: q.name } : {}), containerPort: q.containerPort, protocol: q.protocol, ...(q.hostPort ? { hostPort: q.hostPort } : {}) })) } : {}),
    ...(c.readinessProbe ? { readinessProbe: probeObject(c.readinessProbe) } : {}),
    ...(c.livenessProbe ? { livenessProbe: probeObject(c.livenessProbe) } : {}),
  };
}
