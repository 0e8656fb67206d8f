/**
 * The exercise file's schema (what `defineExercise` takes), apart from grade/exercise.ts, which
 * loads and runs exercises: the authoring API's types (src/index.ts) reach only schemas, so that
 * podlab's types written out for lab files (compile/author-types.ts) depend on nothing else.
 */
import { z } from 'zod';
import { checkSchema, dnsLabel, scenarioStepSchema } from './lab-schema.ts';
import { plainPathProblem } from '../lib/plain-name.ts';

export const rubricItemSchema = z
  .strictObject({
    /** Stable id: the gradebook's column, the results' key. */
    id: dnsLabel,
    /** What the learner is credited for, e.g. 'upstream names resolve'. */
    title: z.string().min(1),
    points: z.number().int().min(1).max(1000),
    /** Shown to the learner when the item fails. */
    hint: z.string().optional(),
    /** Its title, evidence and hint are kept from the learner's feedback (the gradebook has them). @default false */
    hidden: z.boolean().optional(),
    /** Exactly one of check and scenario. */
    check: checkSchema.optional(),
    scenario: z.strictObject({ steps: z.array(scenarioStepSchema).min(1) }).optional(),
  })
  .refine((i) => (i.check === undefined) !== (i.scenario === undefined), { message: 'a rubric item needs exactly one of check and scenario' });

/** A file of the exercise, relative to its folder: plain names joined by '/', never absolute or climbing out with '..'. */
const exercisePath = z.string().min(1).superRefine((p, ctx) => {
  const problem = plainPathProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: `must be a path inside the exercise's folder (${problem})` });
});

const labRef = z.union([exercisePath, z.record(z.string(), z.unknown())]);

export const exerciseSchema = z.strictObject({
  title: z.string().min(1),
  /** The learner-facing task (Markdown). */
  task: z.string().min(1),
  /** The lab the learner starts from: a file next to exercise.ts, or the lab itself. */
  starter: labRef,
  /** A lab that earns full marks. */
  solution: labRef,
  submission: z
    .strictObject({
      /**
       * Dotted paths of the lab a submission may set (e.g. 'dns.corefile', 'services'); the rest
       * comes from the starter. Absent: a submission is a whole lab.
       */
      editable: z.array(z.string().min(1)).optional(),
      /** A submission that is not code (a file not ending in .ts/.mts/.js/.mjs/.json) is the text of this path, e.g. 'dns.corefile'. */
      text: z.string().optional(),
    })
    .optional(),
  rubric: z.array(rubricItemSchema).min(1),
  /** Wrong answers shipped with the exercise, and the rubric items each must fail (`podlab exercise test`). */
  broken: z.array(z.strictObject({ file: exercisePath, fails: z.array(dnsLabel).min(1), why: z.string().optional() })).optional(),
});

export type ExerciseSpec = z.input<typeof exerciseSchema>;
export type RubricItem = z.output<typeof rubricItemSchema>;
