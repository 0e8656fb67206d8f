/** An ISO time to the second, as Kubernetes writes its timestamps (`2026-12-07T10:00:00Z`): a string's fraction dropped, a Date or ms since the epoch formatted so. */
export const isoSeconds = (t: string | number | Date): string => (typeof t === 'string' ? t : new Date(t).toISOString()).replace(/\.\d+Z$/, 'Z');
