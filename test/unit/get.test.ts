/** `podlab get` (src/cli/get.ts): the live state in kubectl's layout, read from runtime/status.ts. */
import { describe, expect, it } from 'vitest';
import { columns, humanAge, render } from '../../src/cli/get.ts';
import { age as apiAge } from '../../src/api/types.ts';
import type { LabStatus } from '../../src/runtime/status.ts';
import { parseLabelSelector } from '../../src/api/selectors.ts';
import { formatEndpoints, formatLabels } from '../../src/k8s/printers.ts';

const now = Date.parse('2026-12-06T06:00:00Z');
const s: LabStatus = {
  lab: 'services',
  status: 'up',
  createdAt: '2026-12-06T05:56:48Z',
  namespaces: 5,
  nodes: [
    { name: 'control-plane', role: 'control-plane', ip: '172.16.94.10', ips: ['172.16.94.10'], podCidr: '10.244.0.0/24', podCidrs: ['10.244.0.0/24'], kubePodCidrs: ['10.244.0.0/24'], netns: 'x', present: true },
    { name: 'worker-1', role: 'worker', ip: '172.16.94.11', ips: ['172.16.94.11'], podCidr: '10.244.1.0/24', podCidrs: ['10.244.1.0/24'], kubePodCidrs: ['10.244.1.0/24'], netns: 'y', present: false },
  ],
  pods: [
    { namespace: 'default', name: 'web-1', node: 'worker-1', ip: '10.244.1.2', podIPs: ['10.244.1.2'], running: true, hostNetwork: false, labels: { tier: 'front', app: 'web' }, pause: { pid: 1, alive: true }, containers: [{ name: 'http-echo', pid: 2, alive: true }], createdAt: '2026-12-06T05:56:48Z' },
    { namespace: 'default', name: 'web-2', node: 'worker-1', ip: '10.244.1.3', podIPs: ['10.244.1.3'], running: false, hostNetwork: false, labels: { app: 'web' }, containers: [], createdAt: '2026-12-06T05:56:48Z' },
    { namespace: 'kube-system', name: 'coredns', node: 'control-plane', ip: '10.244.0.3', podIPs: ['10.244.0.3'], running: true, hostNetwork: false, labels: {}, pause: { pid: 3, alive: true }, containers: [{ name: 'coredns', pid: 4, alive: true }], createdAt: '2026-12-06T05:56:48Z' },
  ],
  services: [
    { namespace: 'default', name: 'web', type: 'NodePort', clusterIP: '10.96.0.3', ports: ['80:30080/TCP→8080'], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', selector: { app: 'web' },
      endpoints: [1, 2, 3, 4].map((i) => ({ pod: `web-${i}`, node: 'worker-1', ip: `10.244.1.${i + 1}`, ports: { http: 8080 }, ready: true })), createdAt: '2026-12-06T05:56:48Z' },
    { namespace: 'default', name: 'db', type: 'ExternalName', clusterIP: '', externalName: 'db.example.com', ports: [], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', endpoints: [], createdAt: '2026-12-06T05:56:48Z' },
  ],
  hosts: [],
};
const opts = { all: false, output: undefined, now };

describe('podlab get', () => {
  it("prints pods as kubectl does: the default namespace, READY, STATUS, AGE; -o wide adds IP and NODE", () => {
    expect(render(s, 'pods', opts)).toBe(
      ['NAME    READY   STATUS    RESTARTS   AGE', 'web-1   1/1     Running   0          3m12s', ''].join('\n'),
    );
    // web-2 was deleted (podlab pod delete): gone from the list, as kubectl lists pods.
    expect(JSON.parse(render(s, 'pods', { ...opts, output: 'json' })).items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['web-1']);
    // A pod of only a sandbox shows it as a container named sandbox, as kubectl sees it through the lab's API.
    const client: LabStatus = { ...s, pods: [{ ...s.pods[0]!, name: 'client', containers: [] }] };
    expect(render(client, 'pods', opts)).toMatch(/^client +1\/1 +Running +0 +3m12s$/m);
    expect(JSON.parse(render(client, 'pods', { ...opts, output: 'json' })).items[0].status.containerStatuses).toEqual([{ name: 'sandbox', ready: true, restartCount: 0, state: { running: {} } }]);
    const wide = render(s, 'pods', { ...opts, output: 'wide' });
    expect(wide.split('\n')[0]).toMatch(/^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$/);
    expect(wide).toMatch(/web-1 .* 10\.244\.1\.2 +worker-1 +<none> +<none>/);
  });

  it('AGE counts from each object\'s creation: a pod or Service made at run time is younger than the lab', () => {
    // web-1 re-created (a new sandbox) 40 s ago; a Service applied with kubectl 5 s ago.
    const later: LabStatus = {
      ...s,
      pods: [{ ...s.pods[0]!, createdAt: '2026-12-06T05:59:20Z' }, s.pods[2]!],
      services: [{ ...s.services[0]!, createdAt: '2026-12-06T05:59:55Z' }],
    };
    expect(render(later, 'pods', opts)).toMatch(/^web-1 +1\/1 +Running +0 +40s$/m);
    expect(render(later, 'services', opts)).toMatch(/^web +NodePort .* 5s$/m);
    expect(render(later, 'endpoints', opts)).toMatch(/^web +10\.244.* 5s$/m);
    expect(JSON.parse(render(later, 'pods', { ...opts, output: 'json' })).items[0].metadata.creationTimestamp).toBe('2026-12-06T05:59:20Z');
    // Nodes are the lab's.
    expect(render(later, 'nodes', opts)).toMatch(/^worker-1 +NotReady +<none> +3m12s/m);
  });

  it("pods' labels: metadata.labels in -o json, kubectl's LABELS column (sorted, <none>), -l selects", () => {
    const json = JSON.parse(render(s, 'pods', { ...opts, all: true, output: 'json' }));
    expect(json.items.map((i: { metadata: { labels?: object } }) => i.metadata.labels)).toEqual([{ tier: 'front', app: 'web' }, undefined]);
    const shown = render(s, 'pods', { ...opts, all: true, showLabels: true });
    expect(shown.split('\n')[0]).toMatch(/ AGE +LABELS$/);
    expect(shown).toMatch(/^default +web-1 .* 3m12s +app=web,tier=front$/m);
    expect(shown).toMatch(/^kube-system +coredns .* 3m12s +<none>$/m);
    // After -o wide's columns, as kubectl appends it.
    expect(render(s, 'pods', { ...opts, output: 'wide', showLabels: true })).toMatch(/READINESS GATES +LABELS\n.*<none> +app=web,tier=front$/m);
    const sel = (text: string) => render(s, 'pods', { ...opts, all: true, selector: parseLabelSelector(text) });
    expect(sel('app=web')).toMatch(/web-1/);
    expect(sel('app=web')).not.toMatch(/coredns/);
    expect(sel('app!=web')).toMatch(/coredns/);
    expect(sel('app!=web')).not.toMatch(/web-1/);
    expect(sel('tier')).toMatch(/web-1/);
    expect(sel('!tier')).not.toMatch(/web-1/);
    expect(render(s, 'pods', { ...opts, selector: parseLabelSelector('app=db') })).toBe('No resources found in default namespace.\n');
  });

  it('-n picks the namespace, -A adds a NAMESPACE column', () => {
    expect(render(s, 'pods', { ...opts, namespace: 'kube-system' })).toContain('coredns');
    expect(render(s, 'pods', { ...opts, namespace: 'kube-system' })).not.toContain('web-1');
    expect(render(s, 'pods', { ...opts, all: true }).split('\n')[0]).toMatch(/^NAMESPACE +NAME/);
    expect(render(s, 'pods', { ...opts, namespace: 'nope' })).toBe('No resources found in nope namespace.\n');
  });

  it('services: PORT(S) as nodePort/protocol, EXTERNAL-IP of an ExternalName, SELECTOR with -o wide', () => {
    const out = render(s, 'services', { ...opts, output: 'wide' });
    expect(out).toMatch(/web +NodePort +10\.96\.0\.3 +<none> +80:30080\/TCP +3m12s +app=web/);
    expect(out).toMatch(/db +ExternalName +<none> +db\.example\.com +<none>/);
  });

  it('endpoints: three addresses, then "+ N more..."; an ExternalName has none', () => {
    expect(render(s, 'endpoints', opts)).toContain('web    10.244.1.2:8080,10.244.1.3:8080,10.244.1.4:8080 + 1 more...   3m12s');
    expect(render(s, 'endpoints', opts)).not.toContain('db');
  });

  it("endpoints as kubectl's printer: per port, per address (53/UDP and 53/TCP each), port-major, then + N more", () => {
    const dns: LabStatus['services'][number] = { ...s.services[0]!, namespace: 'kube-system', name: 'kube-dns', type: 'ClusterIP', clusterIP: '10.96.0.10', ports: ['53/UDP→53', '53/TCP→53', '9153/TCP→9153'], selector: { 'k8s-app': 'kube-dns' },
      endpoints: [{ pod: 'coredns', node: 'control-plane', ip: '10.244.0.2', ports: { dns: 53, 'dns-tcp': 53, metrics: 9153 }, ready: true }] };
    expect(render({ ...s, services: [dns] }, 'endpoints', { ...opts, all: true })).toMatch(/^kube-system +kube-dns +10\.244\.0\.2:53,10\.244\.0\.2:53,10\.244\.0\.2:9153 +3m12s$/m);
    // Two addresses, two ports: every address of the first port, then of the second (kubectl's order).
    const two = { ...dns, ports: ['80/TCP→8080', '443/TCP→8443'], endpoints: ['10.244.1.2', '10.244.1.3'].map((ip, i) => ({ pod: `w${i}`, node: 'worker-1', ip, ports: { http: 8080, https: 8443 }, ready: true })) };
    expect(render({ ...s, services: [two] }, 'endpoints', { ...opts, all: true })).toContain('10.244.1.2:8080,10.244.1.3:8080,10.244.1.2:8443 + 1 more...');
  });

  it('formatEndpoints: kubectl\'s cell for <none>, no ready address, a headless subset without ports, IPv6', () => {
    expect(formatEndpoints([])).toBe('<none>');
    // Only not-ready addresses: a subset, but nothing to list (kubectl prints an empty cell).
    expect(formatEndpoints([{ ports: [{ port: 80 }] }])).toBe('');
    expect(formatEndpoints([{ addresses: ['a', 'b', 'c', 'd'].map((x) => ({ ip: `10.0.0.${x.charCodeAt(0) - 96}` })) }])).toBe('10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...');
    expect(formatEndpoints([{ addresses: [{ ip: 'fd00::2' }], ports: [{ port: 8080 }] }])).toBe('[fd00::2]:8080');
    expect(formatLabels({ tier: 'front', app: 'web', 'app.kubernetes.io/name': 'x' })).toBe('app.kubernetes.io/name=x,app=web,tier=front');
    expect(formatLabels({})).toBe('<none>');
  });

  it('nodes: Ready when its namespace is there; roles; -o json is a kubectl List', () => {
    expect(render(s, 'nodes', opts)).toMatch(/worker-1 +NotReady +<none>/);
    const list = JSON.parse(render(s, 'nodes', { ...opts, output: 'json' }));
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Node', metadata: { name: 'control-plane' } }, { kind: 'Node' }] });
    expect(render(s, 'pods', { ...opts, output: 'yaml' })).toContain('kind: Pod');
  });

  it('pods: RESTARTS and restartCount are the restarts the agent counted, as status shows them', () => {
    const crashed: LabStatus = { ...s, pods: [{ ...s.pods[0]!, ready: true, containers: [{ name: 'http-echo', pid: 5, alive: true, restarts: 1, lastExitCode: 137, lastReason: 'Error', state: 'running' }] }] };
    expect(render(crashed, 'pods', opts)).toMatch(/^web-1 +1\/1 +Running +1 +3m12s$/m);
    const [pod] = JSON.parse(render(crashed, 'pods', { ...opts, output: 'json' })).items;
    expect(pod.status.containerStatuses).toEqual([{ name: 'http-echo', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'Error' } } }]);
  });

  it("pods: STATUS and RESTARTS as kubectl prints them: CrashLoopBackOff while a restart is held back, the exit's reason, and how long ago the last one ended", () => {
    const dead = { name: 'http-echo', pid: 5, alive: false, restarts: 3, lastExitCode: 137, lastReason: 'Error' as const, lastStartedAt: '2026-12-06T05:59:00Z', lastFinishedAt: '2026-12-06T05:59:40Z' };
    const pod = (c: LabStatus['pods'][number]['containers'][number]): LabStatus => ({ ...s, pods: [{ ...s.pods[0]!, ready: false, containers: [c] }] });
    // Held back by the kubelet's back-off: CrashLoopBackOff (not Error), and RESTARTS "3 (20s ago)", as kubectl prints it.
    const looping = pod({ ...dead, state: 'waiting', reason: 'CrashLoopBackOff', backoffMs: 40_000 });
    expect(render(looping, 'pods', opts)).toMatch(/^web-1 +0\/1 +CrashLoopBackOff +3 \(20s ago\) +3m12s$/m);
    const [st] = JSON.parse(render(looping, 'pods', { ...opts, output: 'json' })).items[0].status.containerStatuses;
    expect(st.state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=http-echo pod=web-1_default' } });
    // Not restarted by its restartPolicy: terminated as it ended, exit 0 Completed (not 137 Error).
    const done = pod({ ...dead, restarts: 0, lastExitCode: 0, lastReason: 'Completed', state: 'terminated', reason: 'Completed' });
    expect(render(done, 'pods', opts)).toMatch(/^web-1 +0\/1 +Completed +0 +3m12s$/m);
    expect(JSON.parse(render(done, 'pods', { ...opts, output: 'json' })).items[0].status.containerStatuses[0].state).toEqual({ terminated: { exitCode: 0, reason: 'Completed', startedAt: '2026-12-06T05:59:00Z', finishedAt: '2026-12-06T05:59:40Z' } });
    // Just exited, its restart not yet decided: the exit's reason.
    expect(render(pod({ ...dead, state: 'waiting' }), 'pods', opts)).toMatch(/^web-1 +0\/1 +Error +3 \(20s ago\) +3m12s$/m);
    // Without control loops nothing records the exit: 137 Error, as before.
    expect(render(pod({ name: 'http-echo', pid: 5, alive: false }), 'pods', opts)).toMatch(/^web-1 +0\/1 +Error +0 +3m12s$/m);
  });

  it('pods: READY, containerStatuses[].ready and the Ready condition follow the readiness the agent records, not the process alone', () => {
    const unready: LabStatus = { ...s, pods: [{ ...s.pods[0]!, ready: false, containers: [{ name: 'http-echo', pid: 2, alive: true, restarts: 0, state: 'running' }] }] };
    // kubectl prints a running pod that fails its readiness probe as 0/1 Running.
    expect(render(unready, 'pods', opts)).toMatch(/^web-1 +0\/1 +Running +0 +3m12s$/m);
    const [pod] = JSON.parse(render(unready, 'pods', { ...opts, output: 'json' })).items;
    expect(pod.status.containerStatuses[0].ready).toBe(false);
    expect(pod.status.conditions).toContainEqual({ type: 'Ready', status: 'False' });
    // Without control loops (no recorded readiness) a running container is ready.
    const [plain] = JSON.parse(render(s, 'pods', { ...opts, output: 'json' })).items;
    expect(plain.status.conditions).toContainEqual({ type: 'Ready', status: 'True' });
    expect(plain.status.containerStatuses[0].ready).toBe(true);
  });

  it('nodes: a node the agent holds failed is NotReady, its Ready condition Unknown (its kubelet stopped)', () => {
    const failed: LabStatus = { ...s, nodes: s.nodes.map((n) => ({ ...n, present: true })), agent: { pid: 9, alive: true, failedNodes: ['worker-1'] } };
    expect(render(failed, 'nodes', opts)).toMatch(/^control-plane +Ready +control-plane/m);
    expect(render(failed, 'nodes', opts)).toMatch(/^worker-1 +NotReady +<none>/m);
    const items = JSON.parse(render(failed, 'nodes', { ...opts, output: 'json' })).items;
    expect(items.map((n: { status: { conditions: { status: string }[] } }) => n.status.conditions[0]!.status)).toEqual(['True', 'Unknown']);
    expect(items[1].status.conditions[0]).toMatchObject({ type: 'Ready', reason: 'NodeStatusUnknown' });
  });

  it("ages as kubectl prints them, in podlab get and in the lab API server's Tables alike", () => {
    const ages = [45e3, 192e3, 42 * 60e3, 5 * 3600e3 + 180e3, 20 * 3600e3, 3 * 86400e3 + 4 * 3600e3, 12 * 86400e3];
    expect(ages.map(humanAge)).toEqual(['45s', '3m12s', '42m', '5h3m', '20h', '3d4h', '12d']);
    expect(ages.map((ms) => apiAge(new Date(now - ms).toISOString(), now))).toEqual(['45s', '3m12s', '42m', '5h3m', '20h', '3d4h', '12d']);
    expect(columns([['A', 'B'], ['long', 'x']])).toBe('A      B\nlong   x');
  });
});
