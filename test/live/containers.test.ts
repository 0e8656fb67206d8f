/**
 * Live: a container is a container (src/runtime/container.ts, native/contain.c). A lab's
 * containers attack the host and each other for real — write /etc, read a root-only canary and
 * /etc/shadow, write outside /tmp, read another container's /tmp (directly and through
 * /proc/PID/root), gain privileges — and every attempt fails, while what containers need keeps
 * working: their own /tmp, and an unprivileged server on port 80. After `down`, nothing of the
 * lab is left and the canary is untouched.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { PODLAB_UIDS, UID_LOCK_DIR } from '../../src/constants.ts';
import type { LabSpec } from '../../src/index.ts';
import { down } from '../../src/runtime/down.ts';
import { realExecutor } from '../../src/runtime/exec.ts';
import { httpFrom, inLab, labAroundSuite, liveGuard, upLab } from './host.ts';
import { dnsServerPid, dnsServerView } from '../../src/runtime/dns.ts';
import { containedArgv } from '../../src/runtime/container.ts';
import { PROGRAMS } from '../../src/runtime/artifacts.ts';
import { restartContainer } from '../../src/runtime/sandbox.ts';
import { joinArgs } from '../../src/runtime/sandbox-join.ts';
import { acquireUid, releaseUid } from '../../src/runtime/uids.ts';
import { execa } from 'execa';
import { scopedSnapshot, type ScopedSnapshot } from './scoped.ts';

const live = liveGuard();
const LAB = 'sec-contain';

/** Each attack prints `<name> <outcome>`: `blocked` when it failed as it must, `GOT …` when it got through. */
const ATTACKS = String.raw`
sleep 0.3
try() { name=$1; shift; if out=$("$@" 2>&1); then echo "$name GOT $(echo "$out" | head -c 80 | tr '\n' ' ')"; else echo "$name blocked"; fi; }
try write-etc sh -c 'echo x > /etc/podlab-sec-attack'
try append-etc-hosts sh -c 'echo 6.6.6.6 evil >> /etc/hosts'
try read-canary cat "$CANARY"
try list-canary-dir ls "$(dirname "$CANARY")"
try read-shadow cat /etc/shadow
try list-root ls /root
try write-var-tmp sh -c 'echo x > /var/tmp/podlab-sec-attack'
try write-repo sh -c "echo x > $REPO/podlab-sec-attack"
try write-run sh -c 'echo x > /run/podlab-sec-attack'
try write-dev-shm-host sh -c 'test -e /dev/shm/podlab-sec-host-file'
try see-side-tmp cat /tmp/side-secret
try see-side-through-proc sh -c 'for p in /proc/[0-9]*; do cat $p/root/tmp/side-secret 2>/dev/null && exit 0; done; exit 1'
try remount-rw mount -o remount,rw /
try chroot-escape sh -c 'mkdir /tmp/x && chroot /tmp/x true'
try setuid-root sh -c 'test "$(id -u)" = 0'
try sysctl-write sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
try kill-init kill -0 1
echo "own-tmp $(echo mine > /tmp/own && cat /tmp/own)"
echo "uid $(id -u) $(id -G)"
echo "caps $(grep -E '^Cap(Eff|Bnd|Amb)' /proc/self/status | tr -s '\t ' ' ' | tr '\n' ' ')"
echo "nnp $(grep NoNewPrivs /proc/self/status | tr -d '\t ')"
echo DONE
exec sleep infinity
`;

function spec(canary: string): LabSpec {
  return {
    name: LAB,
    nodes: { cp: { role: 'control-plane' }, w1: {} },
    pods: {
      box: {
        node: 'w1',
        containers: [
          { name: 'side', command: ['sh', '-c', 'echo secret-of-side > /tmp/side-secret && exec sleep infinity'] },
          { name: 'attacker', command: ['sh', '-c', ATTACKS], env: { CANARY: canary, REPO: process.cwd() } },
        ],
      },
      web: { node: 'w1', containers: [{ name: 'web', workload: { kind: 'http-echo', port: 80 } }] },
    },
    hosts: { corp: { ip: '172.16.94.53', dns: { zones: { 'corp.example': '$ORIGIN corp.example.\n@ 3600 IN SOA ns admin 1 7200 3600 1209600 3600\nwww 60 IN A 192.0.2.80\n' } } } },
    dns: { nameservers: ['host/corp'] },
  };
}

async function outcomes(log: string): Promise<Map<string, string>> {
  for (let i = 0; i < 200 && !(existsSync(log) && readFileSync(log, 'utf8').includes('DONE')); i++) await new Promise((r) => setTimeout(r, 50));
  const text = readFileSync(log, 'utf8');
  expect(text, text).toContain('DONE');
  return new Map(text.split('\n').filter(Boolean).map((l) => [l.split(' ')[0]!, l.slice(l.indexOf(' ') + 1)]));
}

describe.skipIf(!live)('live: containers are containers', () => {
  let before: ScopedSnapshot;
  let canaryDir: string;
  let canary: string;
  const secret = `canary-${randomBytes(8).toString('hex')}`;

  const state = labAroundSuite(
    { name: LAB, up: () => upLab(spec(canary)) },
    {
      beforeUp: async () => {
        before = await scopedSnapshot([LAB]);
        mkdirSync('/var/tmp', { recursive: true });
        canaryDir = mkdtempSync('/var/tmp/podlab-sec-canary-');
        chmodSync(canaryDir, 0o700);
        canary = `${canaryDir}/secret`;
        writeFileSync(canary, secret, { mode: 0o600 });
        writeFileSync('/dev/shm/podlab-sec-host-file', 'x');
      },
    },
  ).lab;
  afterAll(() => {
    rmSync(canaryDir, { recursive: true, force: true });
    rmSync('/dev/shm/podlab-sec-host-file', { force: true });
  });

  it('every attack on the host and on the other container fails', async () => {
    const got = await outcomes(state().pods.box!.containers.attacker!.log);
    const attacks = [...got.keys()].filter((k) => !['own-tmp', 'uid', 'caps', 'nnp', 'DONE'].includes(k));
    expect(attacks.length).toBe(17);
    expect(Object.fromEntries(attacks.map((a) => [a, got.get(a)]))).toEqual(Object.fromEntries(attacks.map((a) => [a, 'blocked'])));
    for (const f of ['/etc/podlab-sec-attack', '/var/tmp/podlab-sec-attack', `${process.cwd()}/podlab-sec-attack`, '/run/podlab-sec-attack']) expect(existsSync(f), f).toBe(false);
    expect(readFileSync(`${state().pods.box!.containers.attacker!.log}`, 'utf8')).not.toContain(secret);
  });

  it('runs as a uid of its own from the container range, with no_new_privs and no capabilities; its /tmp is its own and writable', async () => {
    const got = await outcomes(state().pods.box!.containers.attacker!.log);
    const [uid, gid] = got.get('uid')!.split(' ').map(Number);
    expect(uid).toBe(gid);
    expect(uid! >= PODLAB_UIDS.container.first && uid! < PODLAB_UIDS.container.first + PODLAB_UIDS.container.count).toBe(true);
    expect(uid).toBe(state().pods.box!.containers.attacker!.uid);
    expect(uid).not.toBe(state().pods.box!.containers.side!.uid);
    expect(got.get('caps')).toBe('CapEff: 0000000000000000 CapBnd: 0000000000000000 CapAmb: 0000000000000000 ');
    expect(got.get('nnp')).toBe('NoNewPrivs:1');
    expect(got.get('own-tmp')).toBe('mine');
    expect(readFileSync(`/proc/${state().pods.box!.containers.side!.pid}/root/tmp/side-secret`, 'utf8')).toBe('secret-of-side\n');
  });

  it('an unprivileged server still binds port 80 (the pod namespace allows low ports; the host does not)', async () => {
    expect((await httpFrom(state(), 'box', 'http://10.244.1.3:80/')).pod).toBe('web');
    expect(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()).not.toBe('0');
  });

  it('a restarted container gets a new uid and the old one is freed', async () => {
    const old = state().pods.box!.containers.side!;
    await restartContainer(realExecutor, state(), 'box', 'side');
    const now = state().pods.box!.containers.side!;
    expect(now.pid).not.toBe(old.pid);
    expect(existsSync(`${UID_LOCK_DIR}/${now.uid}`)).toBe(true);
    expect(existsSync(`${UID_LOCK_DIR}/${old.uid}`)).toBe(old.uid === now.uid);
  });

  /** What a process's root holds, seen by root from outside through /proc/PID/root. */
  const seen = (pid: number, path: string) => existsSync(`/proc/${pid}/root${path}`);

  it('the cluster DNS server runs unprivileged, its root holding only its own directory and what Node needs', async () => {
    const pid = dnsServerPid(state())!;
    expect(pid).toBeGreaterThan(0);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
    expect(uid >= PODLAB_UIDS.container.first && uid < PODLAB_UIDS.container.first + PODLAB_UIDS.container.count).toBe(true);
    expect(/^CapEff:\s+(\w+)/m.exec(status)![1]).toBe('0000000000000000');
    expect(/^CapBnd:\s+(\w+)/m.exec(status)![1]).toBe('0000000000000000');
    expect(readdirSync(`/proc/${pid}/root/etc`).sort()).toEqual(['coredns', 'hosts', 'ld.so.cache', 'resolv.conf']);
    expect(readdirSync(`/proc/${pid}/root`).sort()).toEqual([...new Set(['dev', 'etc', 'lib', 'lib64', 'proc', 'tmp', 'usr', ...(process.cwd().startsWith('/usr') ? [] : [process.cwd().split('/')[1]!])])].sort());
    for (const p of ['/etc/shadow', '/etc/passwd', '/root', canary, '/run/podlab', '/run/netns', '/var', `${process.cwd()}/src`]) expect(seen(pid, p), p).toBe(false);
    expect(seen(pid, '/etc/coredns/Corefile')).toBe(true);
    // It serves: the cluster's names, and (forwarded to the host's server) the corp zone.
    const dig = await inLab(state(), 'box', ['dig', '+short', '+time=2', '+tries=2', 'kube-dns.kube-system.svc.cluster.local']);
    expect(dig.stdout.trim()).toBe('10.96.0.10');
  });

  it('code run the way the DNS server is (its launch, its view) finds no host file to read: /etc/shadow, the canary, /root, the lab state', async () => {
    const pod = state().plan.pods.find((p) => p.system === 'dns')!;
    const c = pod.containers[0]!;
    const uid = acquireUid('container');
    try {
      const plugin = `for (const f of ${JSON.stringify(['/etc/shadow', canary, '/root', '/run/podlab', '/proc/1/root/etc/shadow'])}) { try { require('fs').readFileSync(f); console.log(f, 'READ'); } catch (e) { console.log(f, e.code); } }`;
      const argv = containedArgv({ join: joinArgs(pod, state().pods[pod.name]!.pause!.pid), argv: [PROGRAMS.node, '-e', plugin], only: dnsServerView(c.argv, pod) }, uid);
      const r = await execa(argv[0]!, argv.slice(1), { reject: false, env: { PATH: '/usr/bin:/bin' }, extendEnv: false });
      // Not there at all, the machine's init through /proc included: the view's /proc is a procfs of
      // its own with hidepid=invisible (this stand-in has no PID namespace, the server has), so
      // another uid's process is not in it.
      expect(r.stdout.split('\n').sort(), r.stderr).toEqual([`${canary} ENOENT`, '/etc/shadow ENOENT', '/proc/1/root/etc/shadow ENOENT', '/root ENOENT', '/run/podlab ENOENT'].sort());
    } finally {
      releaseUid(uid);
    }
  });

  it("a host's DNS server sees only the files beside its Corefile", async () => {
    const rec = state().pods['host.corp']!.containers.dns!;
    const pid = rec.pid;
    expect(Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])).toBe(rec.uid);
    expect(seen(pid, '/etc/shadow')).toBe(false);
    expect(seen(pid, '/etc/hosts')).toBe(false);
    expect(seen(pid, canary)).toBe(false);
    const dir = `${state().plan.stateDir}/rendered/hosts/corp`;
    expect(readdirSync(`/proc/${pid}/root${dir}`)).toContain('Corefile');
    expect(readdirSync(`/proc/${pid}/root${state().plan.stateDir}`)).toEqual(['rendered']);
    const dig = await inLab(state(), 'box', ['dig', '+short', '+time=2', '+tries=2', 'www.corp.example']);
    expect(dig.stdout.trim()).toBe('192.0.2.80');
  });

  it('down leaves nothing: no process, no uid held, the host as it was', async () => {
    const uids = Object.values(state().pods).flatMap((p) => Object.values(p.containers).map((c) => c.uid));
    await down(LAB);
    expect(await scopedSnapshot([LAB])).toEqual(before);
    for (const uid of uids) expect(existsSync(`${UID_LOCK_DIR}/${uid}`), String(uid)).toBe(false);
    const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        const status = readFileSync(`/proc/${p}/status`, 'utf8');
        return uids.includes(Number(/^Uid:\s+(\d+)/m.exec(status)?.[1])) && !/^State:\s+Z/m.test(status);
      } catch {
        return false;
      }
    });
    expect(left.map((p) => `${p}: ${readFileSync(`/proc/${p}/status`, 'utf8').split('\n').slice(0, 3).join(' ')}`)).toEqual([]);
    expect(readFileSync(canary, 'utf8')).toBe(secret);
  });
});
