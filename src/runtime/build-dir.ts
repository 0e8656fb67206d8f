/** Moved to src/lib/build-dir.ts (lab evaluation needs it below the runtime); kept so imports here stay short. */
export * from '../lib/build-dir.ts';
