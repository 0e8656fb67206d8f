import { defineExercise } from 'podlab';

/**
 * From the course's chapters on Services and on what happens on its own in a cluster: a Service
 * sends traffic only to the pods that are ready, and a readiness probe is how the kubelet knows.
 * Students hand in pods (submission.editable: pods): the starter's, with a readinessProbe added.
 *   podlab exercise show exercises/readiness-gate --student alice
 *   podlab exercise test exercises/readiness-gate
 *   podlab grade exercises/readiness-gate submissions/*.lab.ts
 *
 * Per student, the replica that goes unhealthy (`flaky`) and the one left serving differ. The
 * broken answers are the classic mistakes, each failing exactly its items: no probe, a probe of the
 * Service's port (never ready), a TCP probe (the port stays open while /healthz fails) and the
 * default timings (10 s × 3 failures: far too slow).
 */
export const variants = { flaky: ['web-1', 'web-2'] };

export default defineExercise((v) => {
  const flaky = String(v.flaky);
  const other = flaky === 'web-1' ? 'web-2' : 'web-1';
  return {
    title: 'Gate a Service on readiness',
    task: `
The web app runs as two pods labelled \`app=web\` (\`web-1\` on worker-1, \`web-2\` on worker-2)
behind the Service \`web\` (port 80 → 8080). Each answers HTTP on 8080 and reports its health on
\`/healthz\` (200 when healthy, 503 when not). The lab runs control loops: a kubelet that runs the
probes you declare and an endpoint controller that keeps the Service's endpoints.

Sometimes **${flaky}** becomes unhealthy: its \`/healthz\` answers 503, though \`/\` still answers.
Today the Service keeps sending it half the requests. Change the pods so that:

- while both are healthy, the Service spreads requests over both;
- within **5 seconds** of ${flaky}'s \`/healthz\` failing, every request to the Service is
  answered by ${other};
- ${flaky} is not restarted or removed: it still answers at its own address;
- within 5 seconds of it being healthy again, the Service spreads over both again.

Try it: \`podlab up exercises/readiness-gate/starter.lab.ts\` (then your own copy), watch
\`podlab events readiness-gate -f\` in one terminal, and in another make ${flaky} unhealthy and
ask the Service with \`podlab scenario readiness-gate ${flaky}-sick\` (\`${flaky}-well\` heals it);
\`podlab get ep readiness-gate\` shows the endpoints, ready or not.

Submit your lab file (e.g. \`yourname.lab.ts\`): the starter with your probes added. Only \`pods\`
is taken from it; the rest of the cluster stays as given.
`,
    starter: 'starter.lab.ts',
    solution: 'solution.lab.ts',
    submission: { editable: ['pods'] },
    rubric: [
      {
        id: 'both-serve',
        title: 'while both replicas are healthy, the Service spreads requests over both',
        points: 2,
        hint: 'A readiness probe must pass on a healthy replica: probe the port the container listens on (8080), not the Service\'s (80).',
        check: { kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectSpread: 2 },
      },
      {
        id: 'unready-leaves',
        title: `within 5 s of ${flaky}'s /healthz failing, only ${other} answers the Service`,
        points: 4,
        hint: 'A readinessProbe with httpGet on /healthz takes a failing replica out of the endpoints. A tcpSocket probe only sees the port open; the default timings (every 10 s, 3 failures) take up to 30 s.',
        scenario: {
          steps: [
            { action: 'make-unready', pod: flaky },
            { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectPod: other, timeoutMs: 5000, name: `the Service answered by ${other} alone` } },
          ],
        },
      },
      {
        id: 'still-serves',
        title: `${flaky}, unready, is not restarted: it answers at its own address`,
        points: 1,
        hint: 'Readiness only gates the Service; a livenessProbe would restart the container instead.',
        scenario: {
          steps: [
            { action: 'make-unready', pod: flaky },
            { check: { kind: 'http', from: 'client', to: flaky, port: 8080, expectPod: flaky, name: `${flaky} answers at its pod IP` } },
          ],
        },
      },
      {
        id: 'ready-returns',
        title: `within 5 s of ${flaky} being healthy again, the Service spreads over both again`,
        points: 3,
        hint: 'The probe must keep running while the replica is out of the endpoints, and pass on a healthy one.',
        scenario: {
          steps: [
            { action: 'make-unready', pod: flaky },
            { action: 'make-ready', pod: flaky },
            { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectSpread: 2, timeoutMs: 5000, name: 'the Service spreads over both again' } },
          ],
        },
      },
    ],
    broken: [
      { file: 'broken/no-probe.lab.ts', fails: ['unready-leaves'], why: 'no readiness probe: nothing tells the endpoint controller' },
      { file: 'broken/service-port.lab.ts', fails: ['both-serve', 'unready-leaves', 'ready-returns'], why: "a probe of the Service's port 80: the container listens on 8080, so no replica is ever ready" },
      { file: 'broken/tcp-probe.lab.ts', fails: ['unready-leaves'], why: 'a tcpSocket probe: the port stays open while /healthz answers 503' },
      { file: 'broken/default-timings.lab.ts', fails: ['unready-leaves'], why: 'the default timings: every 10 s, 3 failures before unready' },
    ],
  };
});
