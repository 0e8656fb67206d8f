/** The line podlab-dns logs once its sockets are bound; `up` waits for it (kept apart so the runtime need not load the server). */
export const LISTENING_MARK = '[INFO] podlab-dns: listening';

/** The flag with which podlab starts a pod's DNS server during the pod's CNI call: serve once the pod has a default route (network.ts). */
export const WAIT_NETWORK_FLAG = '-podlab.wait-network';
