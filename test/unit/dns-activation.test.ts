/**
 * Socket activation of the cluster DNS server: which sockets its container binds (render's
 * dnsListeners), how the server reads what it was passed (activation.ts, sd_listen_fds's
 * protocol), and how `up` sees them bound in the pod's /proc/net (net/proc-net.ts).
 */
import { describe, expect, it } from 'vitest';
import { inheritedSockets, socketName } from '../../src/dns/activation.ts';
import { wildcardPorts } from '../../src/net/proc-net.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { containedProgram, dnsListeners } from '../../src/render/render.ts';
import { validateValue } from '../../src/compile/validate-value.ts';

function planOf(extra: Record<string, unknown> = {}) {
  const { lab, diagnostics } = validateValue({ name: 'sa', nodes: { n1: {} }, pods: { a: { node: 'n1', containers: [{ name: 'c', command: ['sleep', 'infinity'] }] } }, ...extra }, 'sa.lab.ts');
  if (!lab) throw new Error(JSON.stringify(diagnostics));
  return buildPlan(lab);
}

describe('dnsListeners: the sockets contain binds for a DNS server', () => {
  it('the cluster DNS pod: UDP and TCP 53 in IPv4; in IPv6 too for a dual-stack lab; not the metrics port', () => {
    const dns = planOf().pods.find((p) => p.system === 'dns')!;
    expect(dnsListeners(dns.containers[0]!, dns)).toEqual(['tcp4:53', 'udp4:53']);
    const dual = planOf({ ipFamilies: ['IPv4', 'IPv6'] }).pods.find((p) => p.system === 'dns')!;
    expect(dnsListeners(dual.containers[0]!, dual)).toEqual(['tcp4:53', 'tcp6:53', 'udp4:53', 'udp6:53']);
  });

  it('none for another container, or for a DNS server sharing its node\'s network', () => {
    const plan = planOf();
    const a = plan.pods.find((p) => p.name === 'a')!;
    expect(dnsListeners(a.containers[0]!, a)).toEqual([]);
    const dns = plan.pods.find((p) => p.system === 'dns')!;
    expect(dnsListeners(dns.containers[0]!, { ...dns, hostNetwork: true })).toEqual([]);
  });

  it('contain gets one --listen per socket, before the program', () => {
    expect(containedProgram(['node', 'x.cjs'], 7, '/c', { listen: ['udp4:53', 'tcp4:53'] })).toEqual(['/c', '--uid', '7', '--gid', '7', '--listen', 'udp4:53', '--listen', 'tcp4:53', '--', 'node', 'x.cjs']);
  });
});

describe('inheritedSockets: LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID', () => {
  it('names the fds from 3 in order, for this pid only, and removes the variables', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_FDS: '2', LISTEN_FDNAMES: 'udp4-53:tcp4-53', LISTEN_PID: '1', PATH: '/bin' };
    expect([...inheritedSockets(env, 1)]).toEqual([
      ['udp4-53', 3],
      ['tcp4-53', 4],
    ]);
    expect(env).toEqual({ PATH: '/bin' });
    expect(socketName('tcp', 6, 53)).toBe('tcp6-53');
  });

  it('takes nothing passed to another process (a parent that did not clear them), or without a count', () => {
    expect(inheritedSockets({ LISTEN_FDS: '2', LISTEN_FDNAMES: 'udp4-53:tcp4-53', LISTEN_PID: '41' }, 42).size).toBe(0);
    expect(inheritedSockets({ LISTEN_FDNAMES: 'udp4-53', LISTEN_PID: '42' }, 42).size).toBe(0);
    expect(inheritedSockets({}, 42).size).toBe(0);
  });
});

describe('wildcardPorts: /proc/net tables', () => {
  const udp = [
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
    '  100: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000 64999        0 16899810 2 0000000000000000 0',
    '  101: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 16899811 2 0000000000000000 0',
    '  102: 00000000:D431 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 16899812 2 0000000000000000 0',
  ].join('\n');
  it('UDP: unconnected sockets on the wildcard address only (not 127.0.0.1:8080, not a connected client)', () => {
    expect([...wildcardPorts(udp, 'udp')]).toEqual([53]);
  });
  it('TCP: listening sockets only; IPv6 addresses are four words of zeros', () => {
    const tcp6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 64999        0 1 1',
      '   1: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 06 00000000:00000000 00:00000000 00000000 0        0 2 1',
    ].join('\n');
    expect([...wildcardPorts(tcp6, 'tcp')]).toEqual([53]);
    expect(wildcardPorts('', 'tcp').size).toBe(0);
  });
});
