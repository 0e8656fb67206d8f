/**
 * What bin/podlab.js loads, as a small bundle of its own, before the CLI bundle: the evaluation
 * cache's lookup, and the evaluator, to start a lab's evaluation in the sandbox at once (the child
 * runs on the other core while the CLI loads), and the start of the type check's Node
 * (prestartCheck). load.ts takes the started evaluation for the same file and limits only, once;
 * typecheck.ts finds the check's Node running.
 */
import { LAB_LIMITS, startEvaluation, type StartedEvaluation } from './evaluate.ts';

export { lookupEvaluation } from './eval-cache.ts';
export { prestartCheck } from './typecheck-early.ts';


/** Starts evaluating the lab at `file` as loadLab would, not holding this process open until taken. */
export function preloadLab(file: string): StartedEvaluation {
  const started = startEvaluation({ file, ...LAB_LIMITS });
  started.unref();
  return started;
}
