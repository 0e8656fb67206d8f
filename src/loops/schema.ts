/**
 * The control loops' part of the lab language (zod, structure only): a container's
 * `restartPolicy`, `readinessProbe` and `livenessProbe`, the lab's `deployments`, and the lab-wide
 * `loops` settings that make the kubelet's timings shorter for a lab. Resolved by
 * compile/loops.ts; the rules that relate them to the rest of the lab are in compile/rules-loops.ts.
 */
import { z } from 'zod';
import { port } from '../schema/fields.ts';
import { EVENT_REASONS } from './event-reasons.ts';

const seconds = (min: number) => z.number().int({ message: 'must be a whole number of seconds' }).min(min, { message: `must be at least ${min}` }).max(3600, { message: 'must be at most 3600' });
const threshold = z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be at least 1' }).max(100, { message: 'must be at most 100' });
/** A port number or the name of one of the container's ports. */
const probePort = z.union([port, z.string().min(1)]);

/** A probe as in a Kubernetes container: exactly one of exec, tcpSocket and httpGet, and its timings. */
export const probeSchema = z.strictObject({
  /** An argv run inside the pod (no shell); success is exit 0. */
  exec: z.strictObject({ command: z.array(z.string()).min(1, { message: 'must name a program' }) }).optional(),
  /** Success is a TCP connection to the pod's address on this port. */
  tcpSocket: z.strictObject({ port: probePort }).optional(),
  /** Success is an HTTP status from 200 to 399. */
  httpGet: z.strictObject({ port: probePort, /** @default '/' */ path: z.string().startsWith('/').optional() }).optional(),
  /** @default 0 */
  initialDelaySeconds: z.number().int().min(0).max(3600).optional(),
  /** @default 10 */
  periodSeconds: seconds(1).optional(),
  /** @default 1 */
  timeoutSeconds: seconds(1).optional(),
  /** @default 1 (must be 1 for a liveness probe) */
  successThreshold: threshold.optional(),
  /** @default 3 */
  failureThreshold: threshold.optional(),
});

/** The container fields the loops add. */
export const containerLoopFields = {
  /** What the kubelet does when the container exits: 'Always' restarts it, 'OnFailure' only after a non-zero exit, 'Never' leaves it. @default 'Always' */
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
  /** While it fails, the pod leaves every Service's endpoints (and DNS answers). */
  readinessProbe: probeSchema.optional(),
  /** When it fails, the container is restarted. */
  livenessProbe: probeSchema.optional(),
};

/** A Deployment: `replicas` pods made from `template`, kept at that number by the lab's control loops. */
export function deploymentSchemaOf<C extends z.ZodTypeAny>(container: C) {
  return z.strictObject({
    /** @default 'default' */
    namespace: z.string().optional(),
    /** @default 1 */
    replicas: z.number().int({ message: 'must be a whole number' }).max(500, { message: 'must be at most 500' }).optional(),
    /** Must select the template's labels. @default the template's labels */
    selector: z.strictObject({ matchLabels: z.record(z.string(), z.string()) }).optional(),
    template: z.strictObject({
      labels: z.record(z.string(), z.string()),
      /** Run every pod on this node (no scheduling). */
      nodeName: z.string().optional(),
      /** Only nodes whose labels include these (`kubernetes.io/hostname`, `node-role.kubernetes.io/control-plane`, …). */
      nodeSelector: z.record(z.string(), z.string()).optional(),
      /** As a pod's: tolerating `node-role.kubernetes.io/control-plane` lets replicas onto a control-plane node that has workers beside it. @default none */
      tolerations: z
        .array(
          z.strictObject({
            key: z.string().optional(),
            operator: z.enum(['Exists', 'Equal']).optional(),
            value: z.string().optional(),
            effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
          }),
        )
        .optional(),
      containers: z.array(container).min(1, { message: 'a pod template needs at least one container' }),
    }),
  });
}

/** Lab-wide timings of the control loops; Kubernetes' own by default. */
export const loopsSettingsSchema = z.strictObject({
  /** The first restart back-off, in ms. @default 10000 */
  backoffMs: z.number().int().min(10).max(600000).optional(),
  /** The longest back-off, in ms. @default 300000 */
  maxBackoffMs: z.number().int().min(10).max(600000).optional(),
  /** Running this long forgives a container its crashes, in ms. @default 600000 */
  resetAfterMs: z.number().int().min(100).max(3600000).optional(),
  /** How long a failed node's pods stay in endpoints before they are evicted, in ms (Kubernetes: about 40 s + 5 min). @default 40000 */
  nodeGraceMs: z.number().int().min(0).max(600000).optional(),
  /** How often the agent looks at containers, in ms. @default 200 */
  tickMs: z.number().int().min(20).max(10000).optional(),
});

/** Scenario actions that make the control loops act (docs/control-loops.md). */
export const loopActionSchemas = [
  /** Kill a container as a crash would (SIGKILL, exit 137); the lab's agent restarts it in the same sandbox (same IP). @default container: the pod's first */
  z.strictObject({ action: z.literal('crash-container'), pod: z.string(), container: z.string().optional() }),
  /** Make a pod's http-echo answer /healthz with 503: its readiness (or liveness) probe starts failing. */
  z.strictObject({ action: z.literal('make-unready'), pod: z.string() }),
  /** Make it answer 200 again. */
  z.strictObject({ action: z.literal('make-ready'), pod: z.string() }),
  /** Fail a node: its link goes down and its agent stops; after `loops.nodeGraceMs` its pods are evicted. */
  z.strictObject({ action: z.literal('fail-node'), node: z.string() }),
  /** Bring a failed node back; it rejoins empty of the pods evicted meanwhile. */
  z.strictObject({ action: z.literal('restore-node'), node: z.string() }),
  /** Set a Deployment's replicas; its ReplicaSet loop creates or deletes pods. */
  z.strictObject({ action: z.literal('scale-deployment'), deployment: z.string(), replicas: z.number().int().min(0).max(500) }),
  /** Set environment variables on a Deployment's pod template (kubectl set env): the agent rolls the new template out. */
  z.strictObject({ action: z.literal('set-deployment-env'), deployment: z.string(), env: z.record(z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/), z.string()) }),
  /**
   * Wait until the lab's events include one with this reason (and object: `pod/<name>`, or a prefix
   * such as `pod/web-`; and text in its message). Fails after `timeoutMs`.
   */
  z.strictObject({
    action: z.literal('wait-event'),
    reason: z.enum(EVENT_REASONS),
    object: z.string().optional(),
    text: z.string().optional(),
    /** @default 10000 */
    timeoutMs: z.number().int().min(100).max(300000).optional(),
  }),
] as const;
