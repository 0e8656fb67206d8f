/**
 * Field schemas shared by the lab schema and the modules that contribute fragments to it (CNI
 * modes): one definition, so every port in a lab is checked with the same words.
 */
import { z } from 'zod';

/** A TCP or UDP port number. */
export const port = z
  .number()
  .int({ message: 'must be a whole number' })
  .min(1, { message: 'must be between 1 and 65535' })
  .max(65535, { message: 'must be between 1 and 65535' });
