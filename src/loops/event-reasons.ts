/**
 * Every reason an event of podlab's has, Kubernetes-style (runtime/events.ts): what `podlab
 * events --wait-for` and a scenario's `wait-event` may name; a reason not here is refused rather
 * than waited for in vain.
 */
export const EVENT_REASONS = [
  'Exited', 'BackOff', 'Restarted', 'NotRestarted', 'Unhealthy', 'Killing', 'Ready', 'NotReady', 'EndpointRemoved', 'EndpointAdded',
  'Scheduled', 'FailedScheduling', 'SuccessfulCreate', 'SuccessfulDelete', 'FailedCreate', 'NodeFailed', 'NodeNotReady', 'NodeStatusUnknown',
  'Evicted', 'NodeRestored', 'NodeReady', 'Crash', 'Sickened', 'Healed', 'ScalingReplicaSet', 'RolloutComplete', 'TemplateChanged',
  'DeploymentCreated', 'DeploymentDeleted', 'Sync', 'Pulled', 'Created', 'Started',
] as const;

export type EventReason = (typeof EVENT_REASONS)[number];
