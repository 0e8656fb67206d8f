/** `podlab status`: live labs, or one lab's nodes, pods, Services, agent, gateway, hosts and Calico state. */
import type { Command } from 'commander';
import { readState } from '../runtime/state.ts';
import { allStatus, labStatus, type LabStatus } from '../runtime/status.ts';
import { calicoStatus, calicoStatusLines } from '../runtime/calico-status.ts';
import { realExecutor } from '../runtime/exec.ts';
import { Exit, EXIT, labName, labPrefix, prefixNamed } from './common.ts';
import { dim, green, red } from './terminal.ts';

function printStatus(s: LabStatus): void {
  process.stdout.write(`lab ${s.lab}: ${s.status}${s.cni ? `, cni ${s.cni}` : ''}, ${s.namespaces} namespaces${s.source ? `, from ${s.source}` : ''}\n`);
  for (const n of s.nodes) process.stdout.write(`  node ${n.name.padEnd(16)} ${n.ips.join(',').padEnd(15)} pods ${n.podCidrs.join(',').padEnd(18)} ${n.present ? '' : red('(namespace missing)')}\n`);
  for (const p of s.pods) {
    const loops = (c: LabStatus['pods'][number]['containers'][number]) => (c.restarts !== undefined ? ` restarts ${c.restarts}${c.lastExitCode !== undefined ? ` (last exit ${c.lastExitCode}${c.lastReason ? ` ${c.lastReason}` : ''})` : ''}${c.reason ? ` ${red(c.reason)}` : ''}` : '');
    const procs = [p.pause ? `pause ${p.pause.pid}${p.pause.alive ? '' : red(' dead')}` : p.hostNetwork ? 'hostNetwork' : 'no sandbox', ...p.containers.map((c) => `${c.name} ${c.pid}${c.alive ? '' : red(' dead')}${loops(c)}`), ...(p.ready === undefined ? [] : [p.ready ? green('ready') : red('not ready')])];
    process.stdout.write(`  pod  ${`${p.namespace}/${p.name}`.padEnd(24)} ${(p.running ? p.podIPs.join(',') : '-').padEnd(15)} on ${p.node.padEnd(14)} ${p.running ? procs.join(', ') : dim('deleted')}\n`);
  }
  for (const v of s.services) {
    const addr = v.type === 'ExternalName' ? `→ ${v.externalName}` : `${(v.clusterIPs ?? [v.clusterIP]).join(',')}${v.loadBalancerIP ? `, lb ${(v.loadBalancerIPs ?? [v.loadBalancerIP]).join(',')}` : ''}`;
    const extras = [
      v.sessionAffinity !== 'None' ? `affinity ${v.sessionAffinity}` : '',
      v.externalTrafficPolicy !== 'Cluster' ? `externalTrafficPolicy ${v.externalTrafficPolicy}` : '',
      v.internalTrafficPolicy !== 'Cluster' ? `internalTrafficPolicy ${v.internalTrafficPolicy}` : '',
    ].filter(Boolean);
    process.stdout.write(`  svc  ${`${v.namespace}/${v.name}`.padEnd(24)} ${v.type.padEnd(12)} ${addr}  ${v.ports.join(' ')}${extras.length ? dim(`  (${extras.join(', ')})`) : ''}\n`);
    if (v.type !== 'ExternalName')
      process.stdout.write(`       endpoints: ${v.endpoints.length ? v.endpoints.map((e) => `${e.pod}@${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${Object.values(e.ports).join(',')} (${e.node})`).join('  ') : red('none')}\n`);
  }
  if (s.agent) process.stdout.write(`  agent pid ${s.agent.pid}${s.agent.alive ? '' : red(' dead')}${s.agent.failedNodes.length ? red(`, failed nodes: ${s.agent.failedNodes.join(', ')}`) : ''}  (podlab events ${s.lab})\n`);
  if (s.gateway) process.stdout.write(`  gateway ${s.gateway.nodeIp}${s.gateway.externalIp ? ` / ${s.gateway.externalIp}` : ''}${s.gateway.loadBalancerIps.length ? `, load-balancer addresses ${s.gateway.loadBalancerIps.join(', ')}` : ''}\n`);
  for (const h of s.hosts) process.stdout.write(`  host ${h.name.padEnd(24)} ${h.ip.padEnd(15)} on the ${h.network === 'external' ? 'external network' : 'node network'}\n`);
  if (s.calico) for (const l of calicoStatusLines(s.calico)) process.stdout.write(`${l}\n`);
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('List live labs, or show one lab: nodes, pods with IPs, and their processes; for Calico its pool, the blocks each node holds and its BGP sessions.')
    .argument('[lab]', 'lab name or file')
    .option('--json', 'print as JSON')
    .action(async (arg: string | undefined, opts: { json?: boolean }) => {
      const lab = arg === undefined ? undefined : await labName(arg, opts.json);
      // Without a lab, the labs that are up: with a lab-name prefix, only that user's.
      const list = lab ? [labStatus(lab)].filter((s): s is LabStatus => !!s) : allStatus(labPrefix());
      // One lab: Calico's pools, blocks and BGP sessions, asked of the live nodes.
      const state = arg && list[0] ? readState(list[0].lab) : undefined;
      const calico = state && state.status === 'up' ? await calicoStatus(realExecutor, state) : undefined;
      if (calico) list[0]!.calico = calico;
      if (opts.json) process.stdout.write(`${JSON.stringify(arg ? (list[0] ?? null) : list, null, 2)}\n`);
      else if (!list.length) process.stdout.write(lab ? `lab "${lab}" is not up\n` : `no podlab lab${prefixNamed()} is up\n`);
      else list.forEach(printStatus);
      if (arg && !list.length) throw new Exit(EXIT.failed);
    });
}
