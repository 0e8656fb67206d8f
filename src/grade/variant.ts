/** Moved to src/lib/variant.ts (the evaluation worker picks an exercise's variant); kept for the grader's imports. */
export * from '../lib/variant.ts';
