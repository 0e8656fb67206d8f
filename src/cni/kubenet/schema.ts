/**
 * The object form of `cni: { type: 'kubenet' }` in a lab (nothing but its type). Read only by
 * validation (src/cni/schemas.ts); the mode itself (index.ts) takes the type only.
 */
import { z } from 'zod';

export const kubenetSchema = z.strictObject({ type: z.literal('kubenet') });
