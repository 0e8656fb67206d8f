/**
 * The lab's events, as `kubectl get events` shows a cluster's: each decision of a control loop
 * (container exited, restarted, back-off, probe failed, pod ready or not, endpoint removed, pod
 * scheduled on a node) and each change a command made (a node failed, a Deployment scaled, a pod
 * deleted: `by: 'command'`), one JSON line each in
 * /run/podlab/<lab>/events.jsonl. Appended (O_APPEND: a line from the agent and one from a
 * scenario never interleave); read in time order by `podlab events` and the `event` wait.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { stateDir } from './state.ts';
import { compareText } from '../lib/order.ts';
import type { EventReason } from '../loops/event-reasons.ts';

export type { EventReason } from '../loops/event-reasons.ts';

export interface LabEvent {
  /** ISO time. */
  at: string;
  type: 'Normal' | 'Warning';
  reason: EventReason;
  /** `pod/web-…`, `service/default/web`, `node/worker-2`, `deployment/web`. */
  object: string;
  message: string;
  /**
   * 'command': recorded by a podlab command (or the lab's API server) making a change a user asked
   * for (`node fail`, `scale`, `set env`, `pod delete`, a kubectl write, a scenario's action), not by
   * the control loops. `events --wait-for` waits from the last one: what follows is its consequence.
   */
  by?: 'command';
}

export const eventsPath = (lab: string) => `${stateDir(lab)}/events.jsonl`;

export function recordEvent(lab: string, e: Omit<LabEvent, 'at'>, at = new Date()): LabEvent {
  const ev: LabEvent = { at: at.toISOString(), ...e };
  mkdirSync(stateDir(lab), { recursive: true });
  appendFileSync(eventsPath(lab), `${JSON.stringify(ev)}\n`);
  return ev;
}

/**
 * The reasons a user's change records (recordChange: `node fail`, `scale`, `pod delete`, a fault a
 * scenario makes, a write through the lab's API server such as `kubectl delete pod` or an Ingress
 * applied), also in a lab without control loops; recordChange takes no other, so the list stays
 * whole. Every other reason is the control loops' own: in a lab that runs none, no event of it ever
 * comes (`events --wait-for` refuses to wait for one, PL3073).
 */
export const CHANGE_REASONS = [
  'Crash', 'Sickened', 'Healed', 'NodeFailed', 'NodeRestored', 'ScalingReplicaSet', 'TemplateChanged', 'DeploymentCreated', 'DeploymentDeleted',
  'Killing', 'Scheduled', 'Sync', 'Pulled', 'Created', 'Started',
] as const satisfies readonly EventReason[];

export type ChangeReason = (typeof CHANGE_REASONS)[number];

/** Records the event of a change a user asked for (`by: 'command'`): `events --wait-for` waits from the last one. */
export const recordChange = (lab: string, e: Omit<LabEvent, 'at' | 'by' | 'reason'> & { reason: ChangeReason }, at = new Date()): LabEvent => recordEvent(lab, { ...e, by: 'command' }, at);

/**
 * What kubelet records as it starts a new pod's containers: Pulled, Created and Started for each
 * (podlab's programs are on the host: the image is always "already present"). Consequences of the
 * change that made the pod (`pod create`, a ReplicaSet's), not a change of the user's.
 */
export function recordPodStarted(lab: string, pod: { name: string; containers: readonly { name: string }[] }): void {
  for (const c of pod.containers) {
    const e = { type: 'Normal', object: `pod/${pod.name}` } as const;
    recordEvent(lab, { ...e, reason: 'Pulled', message: `Container image for ${c.name} already present on machine` });
    recordEvent(lab, { ...e, reason: 'Created', message: `Created container: ${c.name}` });
    recordEvent(lab, { ...e, reason: 'Started', message: `Started container ${c.name}` });
  }
}

/** The last change a user asked for (an event `by: 'command'`), if any. */
export function lastChange(events: readonly LabEvent[]): LabEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.by === 'command') return events[i];
  return undefined;
}

/** Every event so far, in time order (lines that do not parse, e.g. one being written, are skipped). */
export function readEvents(lab: string): LabEvent[] {
  if (!existsSync(eventsPath(lab))) return [];
  const out: LabEvent[] = [];
  for (const line of readFileSync(eventsPath(lab), 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as LabEvent);
    } catch {
      /* a partial last line */
    }
  }
  return out.map((e, i) => [e, i] as const).sort((a, b) => compareText(a[0].at, b[0].at) || a[1] - b[1]).map(([e]) => e);
}

/** Whether an event matches a filter: each given field equal (object may be a prefix ending in '/' or '-'), message containing `text`. */
export function eventMatches(e: LabEvent, f: { reason?: string; object?: string; text?: string; type?: string }): boolean {
  if (f.reason !== undefined && e.reason !== f.reason) return false;
  if (f.type !== undefined && e.type !== f.type) return false;
  if (f.object !== undefined && !(e.object === f.object || (/[/-]$/.test(f.object) && e.object.startsWith(f.object)))) return false;
  return f.text === undefined || e.message.includes(f.text);
}
