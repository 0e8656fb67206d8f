import { defineLab, workloads } from 'podlab';

/**
 * Control loops, made visible: a Deployment of 3 http-echo pods behind a Service, a readiness
 * probe on each, and a lab-sized kubelet (restart back-off from 1 s, a 3 s node grace). Watch
 *   podlab events self-healing -f
 * while the scenarios crash a container (same IP, restart count 1), make a pod unready (it leaves
 * the endpoints, the Service spreads over 2, the headless name answers 2), delete a pod (a new pod,
 * new name, new IP, replaces it) and fail a node (its pod reappears on another node).
 * Pod names are the Deployment's (`web-<template hash>-<suffix>`): `podlab render` lists them.
 */
const web = { name: 'web', workload: workloads.httpEcho(8080), readinessProbe: { httpGet: { port: 8080, path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 } };

export default defineLab({
  name: 'self-healing',
  description: 'Restarts with back-off, readiness gating endpoints, a Deployment replacing pods, a failed node\'s pods moving.',
  nodes: {
    'worker-1': {},
    'worker-2': {},
    'worker-3': {},
  },
  cni: 'flannel',
  loops: { backoffMs: 1000, maxBackoffMs: 8000, nodeGraceMs: 3000, tickMs: 100 },
  deployments: {
    web: { replicas: 3, template: { labels: { app: 'web' }, containers: [web] } },
  },
  pods: {
    client: { node: 'worker-1' },
  },
  services: {
    web: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    'web-headless': { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 8080 }] },
  },
  checks: [
    { kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectSpread: 3, name: 'the Service spreads over the 3 replicas' },
  ],
  scenarios: {
    crash: {
      description: 'A container dies; the agent restarts it in the same sandbox: same IP, restart count 1.',
      steps: [
        { action: 'crash-container', pod: 'web-22dnp66tqx-n8tqc' },
        { action: 'wait-event', reason: 'Restarted', object: 'pod/web-22dnp66tqx-n8tqc' },
        { action: 'wait-event', reason: 'EndpointAdded', object: 'service/default/web', text: 'web-22dnp66tqx-n8tqc' },
        { check: { kind: 'http', from: 'client', to: 'web-22dnp66tqx-n8tqc', port: 8080, expectPod: 'web-22dnp66tqx-n8tqc', name: 'the restarted pod answers at its old IP' } },
      ],
    },
    unready: {
      description: 'A pod fails its readiness probe: it leaves the endpoints (and DNS), and comes back when ready.',
      steps: [
        { action: 'make-unready', pod: 'web-22dnp66tqx-ngmcc' },
        { action: 'wait-event', reason: 'EndpointRemoved', object: 'service/default/web', text: 'web-22dnp66tqx-ngmcc' },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectSpread: 2, name: 'the Service spreads over the 2 ready pods' } },
        { action: 'make-ready', pod: 'web-22dnp66tqx-ngmcc' },
        { action: 'wait-event', reason: 'EndpointAdded', object: 'service/default/web', text: 'web-22dnp66tqx-ngmcc' },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectSpread: 3, name: 'and over 3 again' } },
      ],
    },
    delete: {
      description: 'A pod is deleted; the Deployment makes a new one (new name, new IP) and the Service follows.',
      steps: [
        { action: 'delete-pod', pod: 'web-22dnp66tqx-q7ns9' },
        { action: 'wait-event', reason: 'SuccessfulCreate', object: 'replicaset/web-' },
        { action: 'wait-event', reason: 'EndpointAdded', object: 'service/default/web', text: 'web-' },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectSpread: 3, name: 'the Service spreads over 3 again' } },
      ],
    },
    'node-failure': {
      description: 'A node fails; after the grace its pod is evicted and recreated on another node.',
      steps: [
        { action: 'fail-node', node: 'worker-3' },
        { action: 'wait-event', reason: 'Evicted', timeoutMs: 15000 },
        { action: 'wait-event', reason: 'Scheduled', text: 'to worker-', timeoutMs: 15000 },
        { check: { kind: 'http', from: 'client', to: 'svc/web', requests: 12, expectSpread: 3, timeoutMs: 10000, name: 'three pods serve again, none on worker-3' } },
        { action: 'restore-node', node: 'worker-3' },
      ],
    },
  },
});
