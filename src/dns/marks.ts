/** The line podlab-dns logs once its sockets are bound; `up` waits for it (kept apart so the runtime need not load the server). */
export const LISTENING_MARK = '[INFO] podlab-dns: listening';

/** The flag with which podlab starts a pod's DNS server during the pod's CNI call: serve once the pod has a default route (network.ts). */
export const WAIT_NETWORK_FLAG = '-podlab.wait-network';

/** The launcher's flag (launch.ts): serve until ready, write V8's code cache of the server bundle, and exit. */
export const CODE_CACHE_FLAG = '-podlab.write-code-cache';

/** Where the launcher leaves the function main.ts calls once the server serves (only when writing the code cache). */
export const LISTENING_HOOK = Symbol.for('podlab-dns.listening');

/** Serve on IPv6 too (a dual-stack cluster's DNS pod; the kube-dns Service has an IPv6 cluster IP). */
export const IPV6_FLAG = '-podlab.ipv6';
