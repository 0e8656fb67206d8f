/**
 * Events (core/v1): what the lab's control loops did, as `podlab events` shows it (the agent's
 * events.jsonl), for `kubectl get events` and the Events of `kubectl describe`. Each names the
 * object it is about (`involvedObject`): a pod, a Service, a node or a Deployment, with the uid the
 * API gives that object now, so `kubectl describe pod` finds the events of the pod it shows. A node's
 * events are in namespace default, as Kubernetes records them. Read only.
 */
import { readEvents, type LabEvent } from '../../runtime/events.ts';
import { age, finish, uidOf, type ApiKind, type K8sObject, type LabView } from '../types.ts';
import { podKind } from './pods.ts';
import { isoSeconds } from '../../lib/time.ts';

const KIND_OF: Record<string, string> = { pod: 'Pod', service: 'Service', node: 'Node', deployment: 'Deployment', replicaset: 'ReplicaSet' };

/** `pod/web-…`, `service/default/web`, `node/worker-2`, `deployment/web` → the object's kind, namespace and name. */
function involved(view: LabView, e: LabEvent): { kind: string; namespace?: string; name: string } {
  const parts = e.object.split('/');
  const type = parts[0] ?? '';
  const kind = KIND_OF[type] ?? type;
  if (type === 'node') return { kind, name: parts[1] ?? '' };
  if (parts.length >= 3) return { kind, namespace: parts[1], name: parts.slice(2).join('/') };
  const name = parts[1] ?? '';
  const namespace =
    type === 'pod' ? view.plan.pods.find((p) => p.name === name)?.namespace : type === 'deployment' ? view.plan.loops?.deployments.find((d) => d.name === name)?.namespace : undefined;
  return { kind, namespace: namespace ?? 'default', name };
}

function eventObjects(view: LabView): K8sObject[] {
  const events = view.events ?? readEvents(view.lab);
  if (!events.length) return [];
  // The uid each pod has now (a re-created pod is a new object): describe asks for its events by it.
  const podUids = new Map(podKind.list(view).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.metadata.uid as string]));
  return events.map((e, i) => {
    const o = involved(view, e);
    const at = isoSeconds(e.at);
    const uid = o.kind === 'Pod' ? podUids.get(`${o.namespace}/${o.name}`) : uidOf(view.lab, view.createdAt, `${o.kind}/${o.namespace ?? ''}/${o.name}`);
    return finish(
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${o.name}.${i.toString(16).padStart(8, '0')}`, namespace: o.namespace ?? 'default', creationTimestamp: at },
        involvedObject: { kind: o.kind, ...(o.namespace ? { namespace: o.namespace } : {}), name: o.name, ...(uid ? { uid } : {}), apiVersion: o.kind === 'Deployment' || o.kind === 'ReplicaSet' ? 'apps/v1' : 'v1' },
        reason: e.reason,
        message: e.message,
        type: e.type,
        // The control loops' decisions are the agent's; a change a user asked for, podlab's (the command or this API server).
        source: { component: e.by === 'command' ? 'podlab' : 'podlab-agent' },
        reportingComponent: e.by === 'command' ? 'podlab' : 'podlab-agent',
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      },
      view,
      eventKind,
    );
  });
}

export const eventKind: ApiKind = {
  group: '',
  version: 'v1',
  kind: 'Event',
  resource: 'events',
  singular: 'event',
  shortNames: ['ev'],
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
  list: eventObjects,
  columns: [
    { name: 'Last Seen', type: 'string', priority: 0, description: 'when it last happened' },
    { name: 'Type', type: 'string', priority: 0, description: 'Normal or Warning' },
    { name: 'Reason', type: 'string', priority: 0, description: 'why' },
    { name: 'Object', type: 'string', priority: 0, description: 'what it is about' },
    { name: 'Message', type: 'string', priority: 0, description: 'what happened' },
  ],
  row(o) {
    const io = o.involvedObject as { kind: string; name: string };
    return [age(o.lastTimestamp as string), o.type, o.reason, `${io.kind.toLowerCase()}/${io.name}`, o.message];
  },
};
