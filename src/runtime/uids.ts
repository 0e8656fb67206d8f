/** Moved to src/lib/uids.ts (lab evaluation takes a uid too, below the runtime); kept for the runtime's imports. */
export * from '../lib/uids.ts';
