/** `podlab status`: live labs, or one lab's nodes, pods, Services, agent, gateway, hosts and Calico state. */
import type { Command } from 'commander';
import { readState } from '../runtime/state.ts';
import { allStatus, labStatus, type LabStatus } from '../runtime/status.ts';
import { calicoStatus, calicoStatusLines } from '../runtime/calico-status.ts';
import { realExecutor } from '../runtime/exec.ts';
import { EXIT, labName, labPrefix, notUpExit, prefixNamed } from './common.ts';
import { dim, green, red } from './terminal.ts';

/** `a.padEnd(n)`, then one space: a column of a table whose width is that of its widest cell. */
const col = (text: string, width: number) => `${text.padEnd(width)} `;

/**
 * The text `podlab status` prints for one lab. Each section is a table whose columns are as wide as
 * their widest cell (a Deployment's pod names, dual-stack addresses), so every row's columns line up;
 * pods, Services and hosts share the name column, pods and hosts the address one.
 */
export function statusLines(s: LabStatus): string[] {
  const out = [`lab ${s.lab}: ${s.status}${s.cni ? `, cni ${s.cni}` : ''}, ${s.namespaces} namespaces${s.source ? `, from ${s.source}` : ''}`];
  const podIps = (p: LabStatus['pods'][number]) => (p.running ? p.podIPs.join(',') : '-');
  const hostIps = (h: LabStatus['hosts'][number]) => (h.ips ?? [h.ip]).join(',');
  const wNode = Math.max(16, ...s.nodes.map((n) => n.name.length));
  const wNodeIp = Math.max(15, ...s.nodes.map((n) => n.ips.join(',').length));
  const wName = Math.max(24, ...s.pods.map((p) => `${p.namespace}/${p.name}`.length), ...s.services.map((v) => `${v.namespace}/${v.name}`.length), ...s.hosts.map((h) => h.name.length));
  const wIp = Math.max(15, ...s.pods.map((p) => podIps(p).length), ...s.hosts.map((h) => hostIps(h).length));
  const wOn = Math.max(14, ...s.pods.map((p) => p.node.length));
  for (const n of s.nodes) out.push(`  node ${col(n.name, wNode)}${col(n.ips.join(','), wNodeIp)}pods ${n.podCidrs.join(',')}${n.present ? '' : ` ${red('(namespace missing)')}`}`);
  for (const p of s.pods) {
    const loops = (c: LabStatus['pods'][number]['containers'][number]) => (c.restarts !== undefined ? ` restarts ${c.restarts}${c.lastExitCode !== undefined ? ` (last exit ${c.lastExitCode}${c.lastReason ? ` ${c.lastReason}` : ''})` : ''}${c.reason ? ` ${red(c.reason)}` : ''}` : '');
    const procs = [p.pause ? `pause ${p.pause.pid}${p.pause.alive ? '' : red(' dead')}` : p.hostNetwork ? 'hostNetwork' : 'no sandbox', ...p.containers.map((c) => `${c.name} ${c.pid}${c.alive ? '' : red(' dead')}${loops(c)}`), ...(p.ready === undefined ? [] : [p.ready ? green('ready') : red('not ready')])];
    out.push(`  pod  ${col(`${p.namespace}/${p.name}`, wName)}${col(podIps(p), wIp)}on ${col(p.node, wOn)}${p.running ? procs.join(', ') : dim('deleted')}`);
  }
  const wType = Math.max(12, ...s.services.map((v) => v.type.length));
  for (const v of s.services) {
    const addr = v.type === 'ExternalName' ? `→ ${v.externalName}` : `${(v.clusterIPs ?? [v.clusterIP]).join(',')}${v.loadBalancerIP ? `, lb ${(v.loadBalancerIPs ?? [v.loadBalancerIP]).join(',')}` : ''}`;
    const extras = [
      v.sessionAffinity !== 'None' ? `affinity ${v.sessionAffinity}` : '',
      v.externalTrafficPolicy !== 'Cluster' ? `externalTrafficPolicy ${v.externalTrafficPolicy}` : '',
      v.internalTrafficPolicy !== 'Cluster' ? `internalTrafficPolicy ${v.internalTrafficPolicy}` : '',
    ].filter(Boolean);
    out.push(`  svc  ${col(`${v.namespace}/${v.name}`, wName)}${col(v.type, wType)}${addr}  ${v.ports.join(' ')}${extras.length ? dim(`  (${extras.join(', ')})`) : ''}`);
    if (v.type !== 'ExternalName')
      out.push(`       endpoints: ${v.endpoints.length ? v.endpoints.map((e) => `${e.pod}@${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${Object.values(e.ports).join(',')} (${e.node}${e.ready ? '' : `, ${red('not ready')}`})`).join('  ') : red('none')}`);
  }
  if (s.agent) out.push(`  agent pid ${s.agent.pid}${s.agent.alive ? '' : red(' dead')}${s.agent.failedNodes.length ? red(`, failed nodes: ${s.agent.failedNodes.join(', ')}`) : ''}  (podlab events ${s.lab})`);
  if (s.gateway) out.push(`  gateway ${s.gateway.nodeIp}${s.gateway.externalIp ? ` / ${s.gateway.externalIp}` : ''}${s.gateway.loadBalancerIps.length ? `, load-balancer addresses ${s.gateway.loadBalancerIps.join(', ')}` : ''}`);
  for (const h of s.hosts) out.push(`  host ${col(h.name, wName)}${col(hostIps(h), wIp)}on the ${h.network === 'external' ? 'external network' : 'node network'}`);
  if (s.calico) out.push(...calicoStatusLines(s.calico));
  return out;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('List live labs, or show one lab: nodes, pods with IPs, and their processes; for Calico its pool, the blocks each node holds and its BGP sessions.')
    .argument('[lab]', 'lab name or file')
    .option('--json', 'print as JSON')
    .action(async (arg: string | undefined, opts: { json?: boolean }) => {
      const lab = arg === undefined ? undefined : await labName(arg, opts.json);
      // A lab that is not up is PL3113 as every live command says it (JSON with --json), but exit 1:
      // status answered the question, and the answer is "not up" (README's exit codes).
      const one = lab ? labStatus(lab) : undefined;
      if (lab && !one) notUpExit(lab, undefined, opts.json, '', EXIT.failed);
      // Without a lab, the labs that are up: with a lab-name prefix, only that user's.
      const list = one ? [one] : allStatus(labPrefix());
      // One lab: Calico's pools, blocks and BGP sessions, asked of the live nodes.
      const state = arg && list[0] ? readState(list[0].lab) : undefined;
      const calico = state && state.status === 'up' ? await calicoStatus(realExecutor, state) : undefined;
      if (calico) list[0]!.calico = calico;
      if (opts.json) process.stdout.write(`${JSON.stringify(arg ? (list[0] ?? null) : list, null, 2)}\n`);
      else if (!list.length) process.stdout.write(`no podlab lab${prefixNamed()} is up\n`);
      else for (const st of list) process.stdout.write(`${statusLines(st).join('\n')}\n`);
    });
}
