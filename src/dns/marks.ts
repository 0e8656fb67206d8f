/** The line podlab-dns logs once its sockets are bound; `up` waits for it (kept apart so the runtime need not load the server). */
export const LISTENING_MARK = '[INFO] podlab-dns: listening';
