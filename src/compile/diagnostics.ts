/**
 * Diagnostics are data: a permanent code, a message (what happened and why), a hint (what to do)
 * and where it lives (the property path in the lab, and once positioned, file:line:col). This
 * module holds the catalogue of codes and the terminal formatting; it never decides validity.
 */
import { createRequire } from 'node:module';
import type * as CodeFrame from '@babel/code-frame';
import { COREFILE_CODES } from '../dns/corefile/codes.ts';
import { compareText } from '../lib/order.ts';

export type Path = ReadonlyArray<string | number>;

/**
 * @babel/code-frame, loaded from node_modules the first time a frame is printed: every command
 * imports this module, and initialising the package (with its check of the terminal's colours)
 * cost each one's start about 2 ms, where only a command that prints a positioned diagnostic
 * needs it.
 */
let codeFrame: typeof CodeFrame.codeFrameColumns | undefined;
const codeFrameColumns: typeof CodeFrame.codeFrameColumns = (...args) =>
  (codeFrame ??= (createRequire(import.meta.url)('@babel/code-frame') as typeof CodeFrame).codeFrameColumns)(...args);

export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  hint?: string;
  /** Property path inside the lab object, e.g. ['pods', 'web', 'node']. */
  path: Path;
  file?: string;
  line?: number;
  column?: number;
  /**
   * A position inside the string value at `path` (1-based line and column of that text, e.g. a
   * Corefile's): positioning then points at that spot of the literal in the lab file.
   */
  within?: { line: number; col: number };
  /**
   * The same problem told from another property, used when `path` is not written in the source
   * (a default, e.g. serviceCidr): the diagnostic then points at a line the author wrote instead
   * of at `defineLab(`. Positioning resolves it and drops it.
   */
  otherwise?: { path: Path; message: string };
}

/** The catalogue: every code podlab can emit, with its title. Codes are permanent; never reuse one. */
export const CODES = {
  PL0001: 'lab file not found',
  PL0002: 'lab failed to evaluate',
  PL0003: 'lab module exports no lab',
  PL0004: 'type error in lab file',
  PL0005: 'not a regular file',
  PL0006: 'file too large',
  PL0007: 'file is not text',
  PL0008: 'file cannot be read',
  PL0009: 'student id not usable',
  PL0010: 'lab evaluation timed out',
  PL0011: 'lab ended its own process',
  PL0012: 'lab ran out of memory',
  PL0013: 'lab printed too much',
  PL0014: 'lab export is not plain data',
  PL0015: 'lab sandbox could not run',
  PL0016: 'link on the path',
  PL0017: 'exercise not found',
  PL1001: 'invalid value',
  PL1002: 'unknown property',
  PL1003: 'missing property',
  PL1004: 'wrong type',
  PL1005: 'invalid name',
  PL2001: 'invalid CIDR',
  PL2002: 'networks overlap',
  PL2003: 'address outside its network',
  PL2004: 'address used twice',
  PL2005: 'network too small',
  PL2006: 'unknown node',
  PL2007: 'unknown namespace',
  PL2008: 'duplicate name',
  PL2009: 'interface name too long',
  PL2010: 'port used twice in one pod',
  PL2011: 'container needs exactly one of workload and command',
  PL2012: 'unknown check endpoint',
  PL2013: 'lab has no nodes',
  PL2014: 'invalid check',
  PL2015: 'invalid Service address',
  PL2016: 'invalid NodePort',
  PL2017: 'unknown target port',
  PL2018: 'invalid Service ports',
  PL2019: 'load-balancer address unavailable',
  PL2020: 'Service selects no pod',
  PL2021: 'field not allowed for this Service type',
  PL2022: 'port used twice on one node',
  PL2023: 'invalid nameserver',
  PL2024: 'forwarder outside the lab',
  PL2025: 'invalid pod DNS settings',
  PL2026: 'name reserved for cluster DNS',
  PL2027: 'invalid zone file',
  PL2028: 'DNS server on a host needs zones',
  PL2029: 'invalid scenario step',
  PL2030: 'manifest path outside the lab folder',
  PL2050: 'not a plain file name',
  PL2051: 'name reserved by podlab',
  PL2052: 'generated interface name too long',
  PL2053: 'network in a reserved address range',
  PL2054: 'control character in a command or environment',
  PL2100: 'invalid label selector',
  PL2101: 'invalid ipBlock CIDR',
  PL2102: 'ipBlock except outside its cidr',
  PL2103: 'invalid endPort',
  PL2104: 'unknown policyType',
  PL2105: 'protocol not supported by this kernel',
  PL2106: 'NetworkPolicy in an undeclared namespace',
  PL2107: 'invalid NetworkPolicy peer',
  PL2108: 'invalid port name',
  PL2109: 'invalid namespace label',
  PL2110: 'unknown NetworkPolicy',
  PL2111: 'invalid pod label',
  PL2112: 'NetworkPolicy selects nothing (warning)',
  PL2113: 'NetworkPolicy names a port no pod has (warning)',
  PL2115: 'unknown ClusterNetworkPolicy tier',
  PL2116: 'unknown ClusterNetworkPolicy action',
  PL2117: 'ClusterNetworkPolicy priority out of range',
  PL2118: 'invalid ClusterNetworkPolicy subject',
  PL2119: 'invalid ClusterNetworkPolicy peer',
  PL2120: 'invalid ClusterNetworkPolicy network',
  PL2121: 'ClusterNetworkPolicy peer not implemented',
  PL2122: 'invalid ClusterNetworkPolicy protocol match',
  PL2123: 'invalid ClusterNetworkPolicy named port',
  PL2124: 'too many ClusterNetworkPolicy items',
  PL2150: 'invalid IP pool',
  PL2151: 'IP pool outside the pod network',
  PL2152: 'block size does not fit the IP pool',
  PL2153: 'IP pool too small',
  PL2154: 'AS number out of range',
  PL2155: 'encapsulation needs a missing kernel feature',
  PL2156: 'Calico check in a lab without Calico',
  PL2157: 'invalid Calico check',
  PL2158: 'BIRD action without Calico BGP',
  PL2159: 'BGP peer address is no node',
  // Calico BGP peers and IP pools (src/cni/calico/): PL2170–PL2189.
  PL2170: 'BGP settings with VXLAN',
  PL2171: 'BGP peer for an unknown node',
  PL2172: 'BGP peer address outside the node network',
  PL2173: 'natOutgoing action without Calico',
  PL2174: 'IP pools written twice',
  PL2175: 'overlapping IP pools',
  PL2176: 'node without an IP pool',
  PL2177: 'invalid nodeSelector',
  PL2178: 'pool encapsulation differs from the lab',
  PL2179: 'unknown IP pool',
  PL2180: 'exhaust-block without Calico BGP',
  PL2181: 'Calico VXLAN in a dual-stack lab (retired: vxlan-v6.calico is built)',
  PL2182: 'Calico BGP peers in a dual-stack lab (built since issue 24: no longer reported)',
  PL2183: 'Calico IPv6 pool too small',
  PL2184: 'Calico IPv4 pool in an IPv6-only lab',
  PL2185: 'Calico IPv4 BGP peer in an IPv6-only lab',
  PL2186: 'Calico check family the lab does not have',
  PL2187: 'Calico IPv6 pool outside the IPv6 pod network',
  PL2188: 'Calico IPv6 block size out of range',
  PL2189: 'BGP peer with no session back',
  // Manifests in (src/compile/manifests.ts, src/k8s/manifests.ts): PL2200–PL2229.
  PL2200: 'manifest file not found',
  PL2201: 'YAML syntax error',
  PL2202: 'not a Kubernetes object',
  PL2203: 'unknown kind or apiVersion',
  PL2204: 'kind not built from manifests',
  PL2205: 'object does not match the Kubernetes schema',
  PL2206: 'unknown field in manifest',
  PL2207: 'selector does not match the pod template',
  PL2208: 'unknown container image',
  PL2209: 'manifest clashes with the lab file',
  PL2210: 'object made twice by the manifests',
  PL2211: 'no node fits the pod',
  PL2212: 'manifest field not built',
  PL2213: 'ConfigMap not built',
  PL2214: 'manifest files not allowed here',
  // Ingress (src/compile/rules-ingress.ts): PL2250–PL2279.
  PL2250: 'two default IngressClasses',
  PL2251: 'LoadBalancer without a pool',
  PL2252: 'name reserved for the ingress controller',
  PL2253: 'Ingress not served',
  PL2254: 'unknown IngressClass',
  PL2255: 'Ingress routes nothing',
  PL2256: 'invalid Ingress host',
  PL2257: 'Ingress path does not start with / or is not one nginx token',
  PL2258: 'invalid pathType',
  PL2259: 'TLS host in no rule',
  PL2260: 'invalid Ingress annotation',
  PL2261: 'unknown backend Service',
  PL2262: 'unknown backend Service port',
  PL2263: 'host and path claimed twice',
  PL2264: 'two default backends',
  // Kubernetes in and out, more (src/k8s/manifests.ts): PL2270–PL2289.
  PL2270: 'Deployment selector not built',
  PL2271: 'Deployment restartPolicy not Always',
  PL2272: 'probe not built',
  PL2273: 'Ingress resource backend not built',
  PL2274: 'Ingress path is not a regular expression',
  // Control loops (src/compile/rules-loops.ts): PL2300–PL2329.
  PL2300: 'probe of a port name the container does not declare',
  PL2301: 'Deployment selector does not match its template',
  PL2302: 'replicas below 0',
  PL2303: 'no node fits the Deployment (Pending)',
  PL2304: 'probe needs exactly one handler',
  PL2305: 'liveness successThreshold must be 1',
  PL2306: 'Deployment on an unknown node',
  PL2307: 'action needs control loops',
  PL2308: 'probe of a port number the container does not declare (warning)',
  // Address families, dual stack (src/compile/rules-families.ts): PL2400–PL2429.
  PL2400: 'invalid ipFamilies',
  PL2401: 'families mixed in one list',
  PL2402: 'IPv6 pod network too small',
  PL2403: 'cluster IP of the wrong family',
  PL2404: 'address of a family the lab does not have',
  PL2405: 'RequireDualStack on a single-stack lab',
  PL2406: 'invalid Service ipFamilies',
  PL2407: 'CNI mode without IPv6-only support (retired: calico builds IPv6 alone)',
  PL2408: 'invalid IPv6 CIDR',
  PL2409: 'invalid IPv6 cluster IP',
  PL2410: 'address family setup not built yet',
  PL2411: 'check family with a server of one family',
  PL2412: 'route check family contradicts its destination',
  PL2413: 'route next hop of another family',
  PL2414: 'retired: IPv6-only fixed host address (built, PL2421)',
  PL2415: 'IPv6-only load-balancer pool outside the node network',
  PL2416: 'retired: IPv6-only fixed loadBalancerIP (built, PL2422)',
  PL2417: 'IPv6-only node address outside the node network',
  PL2418: 'Calico IPv6 pool in a lab without IPv6',
  PL2420: 'Calico IPv6 BGP peer in a lab without IPv6',
  PL2421: 'IPv6-only host address outside its network',
  PL2422: 'fixed loadBalancerIP not of the pool or the Service',
  PL2423: 'load-balancer pool missing or repeating a family',
  PL2424: 'IPv6 external network too small',
  PL2425: 'flannel IPv6 VXLAN device name too long',
  PL2426: 'check asks for a family its Service has no address of',
  // Exercises (src/grade/exercise.ts): PL2500–PL2519.
  PL2500: 'not a path of the lab',
  PL2501: 'unknown rubric item',
  PL3001: 'kernel feature missing',
  PL3002: 'host tool missing',
  PL3003: 'needs root',
  PL3004: 'lab already up',
  PL3005: 'up stopped by down',
  PL3006: 'up interrupted',
  // Operations on a live lab (src/runtime/errors.ts and its subclasses): PL3030–PL3054.
  PL3030: 'no such pod, node or host',
  PL3031: 'no such interface',
  PL3032: 'no such container',
  PL3033: 'pod is not running',
  PL3034: 'pod is already running',
  PL3035: 'pod is a replica',
  PL3036: 'no such Deployment',
  PL3037: 'no workload to fault',
  PL3038: 'lab has no gateway',
  PL3039: 'node runs no daemon that logs',
  PL3040: 'Service type not built at run time',
  PL3041: 'clusterIP outside the service CIDR',
  PL3042: 'clusterIP already allocated',
  PL3043: 'no such Service',
  PL3044: 'no such NetworkPolicy',
  PL3045: 'no free uid',
  PL3046: 'lab has no cluster DNS',
  PL3047: 'Corefile does not load',
  PL3048: 'DNS server not running',
  PL3049: 'DNS reload failed',
  PL3050: 'a host command failed',
  PL3051: 'not a NetworkPolicy manifest',
  PL3052: 'invalid NetworkPolicy',
  PL3053: 'no such scenario',
  PL3054: 'no previous container instance',
  // The lab's Kubernetes API server (src/api/, src/cli/kubeconfig.ts): PL3070–PL3089.
  PL3070: 'lab has no API server',
  PL3071: 'API server did not start',
  PL3072: 'lab not up for an API write',
  PL3073: 'lab runs no control loops',
  PL3074: 'Deployment name taken',
  PL3075: 'no such Deployment',
  PL3076: 'lab has no ingress controller',
  PL3077: 'no such Ingress',
  // explain and trace (src/trace/, src/runtime/trace.ts): PL3110–PL3129.
  PL3110: 'no such pod, Service, node or host',
  PL3111: 'no such Service port',
  PL3112: 'retired: nothing listens on the port (a refusal is traced, to its deliver hop)',
  PL3113: 'lab is not up',
  PL3114: 'retired: pod is not running (PL3033, as every command says it)',
  PL3115: 'which port?',
  PL3116: 'what to explain?',
  PL3117: 'lab has no Ingress',
  // a pod's PID namespace (src/compile/rules.ts): PL3118.
  PL3118: 'shareProcessNamespace with hostNetwork',
  PL3119: 'no path from the source',
  PL3140: 'bad lab-name prefix',
  PL3141: 'usage error: an unknown command or option, a missing argument, a bad option value',
  PL3142: 'cannot write the output',
  // trace's address family (src/trace/ends.ts, src/trace/trace.ts): PL3146–PL3148.
  PL3146: 'trace in a family the lab lacks',
  PL3147: 'trace end has no address in the family',
  PL3148: '--family contradicts the address',
  // graph's usage errors (src/cli/graph.ts): PL3150–PL3151.
  PL3150: 'not a drawing format',
  PL3151: '--checks needs a lab that is up',
  // podlab ui (src/cli/ui.ts): PL3155.
  PL3155: 'the UI server could not start (its port is taken)',
  PL3160: "a container's command is not on this host (warning)",
  // podlab calicoctl (src/cli/calicoctl.ts): PL3170–PL3174.
  PL3170: 'lab is not Calico',
  PL3171: 'no such IP pool',
  ...COREFILE_CODES,
} as const;

export type Code = keyof typeof CODES;

export function diag(code: Code, path: Path, message: string, hint?: string): Diagnostic {
  return { code, severity: 'error', message, hint, path };
}

export function warning(code: Code, path: Path, message: string, hint?: string): Diagnostic {
  return { code, severity: 'warning', message, hint, path };
}

/** `pods.web.containers[0].name` */
export function formatPath(path: Path): string {
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? (i ? `.${seg}` : seg) : `[${JSON.stringify(seg)}]`))
    .join('');
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Sorts by file, then position, so a report reads top to bottom like each file (a lab and its manifests). */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => (a.file === b.file ? 0 : compareText(a.file ?? '', b.file ?? '')) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || compareText(a.code, b.code),
  );
}

/**
 * `labs/x.lab.ts:12:5 - error PL2006 pods.web.node: …` then the code frame and the hint.
 * `source` is the lab file's text, for the frame; omitted, no frame is printed.
 */
export function formatDiagnostic(d: Diagnostic, source?: string, color = false): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ''} - ` : '';
  const at = d.path.length ? `${formatPath(d.path)}: ` : '';
  const lines = [`${where}${d.severity} ${d.code} ${at}${d.message}`];
  if (source && d.line) {
    const frame = codeFrameColumns(source, { start: { line: d.line, column: d.column ?? 1 } }, { highlightCode: color, linesAbove: 1, linesBelow: 1 });
    lines.push(frame.replace(/^/gm, '  '));
  }
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}
