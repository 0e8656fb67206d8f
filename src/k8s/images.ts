/**
 * Container images → podlab's built-in workloads. podlab runs no container images: a container
 * from a manifest becomes one of the built-in servers when its image is one the course's
 * manifests use for the same job, or runs its own `command` (a program of the host, like a
 * hostNetwork container). One table, read by manifests-in and by the docs.
 */
import type { Workload } from '../schema/lab-schema.ts';

/** What a mapped container becomes. */
export interface MappedContainer {
  /** The workloads (agnhost netexec serves HTTP and UDP: two). */
  workloads: { suffix: string; workload: Workload }[];
}

export interface ImageRule {
  /** Image repository (registry and path, no tag or digest). */
  repository: string;
  /** For a multi-command image (agnhost): the first arg. */
  subcommand?: string;
  /** What it becomes, shown in the unknown-image error and docs/manifests.md. */
  becomes: string;
  map(c: { args: string[]; env: Record<string, string>; tcpPorts: number[] }): MappedContainer;
}

/** `--port=8080` or `--port 8080` or `-listen=:5678` in args. */
function flag(args: string[], names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    for (const n of names) {
      if (a === n && i + 1 < args.length) return args[i + 1];
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return undefined;
}

const num = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
const http = (port: number): MappedContainer => ({ workloads: [{ suffix: '', workload: { kind: 'http-echo', port } }] });
const onPort = (fallback: number) => (c: { tcpPorts: number[] }) => http(c.tcpPorts[0] ?? fallback);

export const IMAGE_RULES: ImageRule[] = [
  {
    repository: 'registry.k8s.io/e2e-test-images/agnhost',
    subcommand: 'serve-hostname',
    becomes: 'http-echo on --port (default 9376), or with --tcp or --udp (and --http=false) tcp-echo or udp-echo; its reply names the pod, as serve-hostname does',
    map: (c) => {
      const port = num(flag(c.args, ['--port'])) ?? 9376;
      const on = (f: string) => c.args.includes(f) || c.args.includes(`${f}=true`);
      const workloads: MappedContainer['workloads'] = [];
      if (!c.args.includes('--http=false')) workloads.push({ suffix: '', workload: { kind: 'http-echo', port } });
      if (on('--tcp')) workloads.push({ suffix: workloads.length ? '-tcp' : '', workload: { kind: 'tcp-echo', port } });
      if (on('--udp')) workloads.push({ suffix: workloads.length ? '-udp' : '', workload: { kind: 'udp-echo', port } });
      return { workloads };
    },
  },
  {
    repository: 'registry.k8s.io/e2e-test-images/agnhost',
    subcommand: 'netexec',
    becomes: 'http-echo on --http-port (default 8080) and a udp-echo container on --udp-port (default 8081)',
    map: (c) => ({
      workloads: [
        { suffix: '', workload: { kind: 'http-echo', port: num(flag(c.args, ['--http-port'])) ?? 8080 } },
        { suffix: '-udp', workload: { kind: 'udp-echo', port: num(flag(c.args, ['--udp-port'])) ?? 8081 } },
      ],
    }),
  },
  { repository: 'hashicorp/http-echo', becomes: 'http-echo on -listen (default :5678)', map: (c) => http(num(flag(c.args, ['-listen', '--listen'])?.replace(/^.*:/, '')) ?? 5678) },
  { repository: 'ealen/echo-server', becomes: 'http-echo on the PORT variable, else the containerPort (default 80)', map: (c) => http(num(c.env.PORT) ?? c.tcpPorts[0] ?? 80) },
  { repository: 'jmalloc/echo-server', becomes: 'http-echo on the PORT variable, else the containerPort (default 8080)', map: (c) => http(num(c.env.PORT) ?? c.tcpPorts[0] ?? 8080) },
  { repository: 'mendhak/http-https-echo', becomes: 'http-echo on the containerPort (default 8080)', map: onPort(8080) },
  { repository: 'traefik/whoami', becomes: 'http-echo on the containerPort (default 80)', map: onPort(80) },
  { repository: 'nginxdemos/hello', becomes: 'http-echo on the containerPort (default 80)', map: onPort(80) },
  { repository: 'nginx', becomes: 'http-echo on the containerPort (default 80)', map: onPort(80) },
  { repository: 'httpd', becomes: 'http-echo on the containerPort (default 80)', map: onPort(80) },
  { repository: 'registry.k8s.io/pause', becomes: 'no container: the pod is its sandbox (the pause process)', map: () => ({ workloads: [] }) },
];

/** `docker.io/library/nginx:1.27@sha256:…` → `nginx`; `registry.k8s.io/e2e-test-images/agnhost:2.53` → its repository. */
export function repositoryOf(image: string): string {
  let s = image.replace(/@.*$/, '');
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) s = s.slice(0, colon);
  s = s.replace(/^(docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
  return s.replace(/^k8s\.gcr\.io\//, 'registry.k8s.io/').replace(/^gcr\.io\/kubernetes-e2e-test-images\//, 'registry.k8s.io/e2e-test-images/');
}

/** The rule for an image and its args, or undefined (an unknown image). */
export function findImageRule(image: string, args: string[]): ImageRule | undefined {
  const repo = repositoryOf(image);
  return IMAGE_RULES.find((r) => r.repository === repo && (r.subcommand === undefined || r.subcommand === args[0]));
}

/** One line per rule, for the unknown-image hint. */
export function imageTable(): string {
  return IMAGE_RULES.map((r) => `${r.repository}${r.subcommand ? ` ${r.subcommand}` : ''} → ${r.becomes}`).join('; ');
}
