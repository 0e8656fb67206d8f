/**
 * The object form of `cni: { type: 'flannel', … }` in a lab. Read only by validation
 * (src/cni/schemas.ts); the mode itself (index.ts) takes the type only.
 */
import { z } from 'zod';
import { port } from '../../schema/fields.ts';

export const flannelSchema = z.strictObject({
  type: z.literal('flannel'),
  /** VXLAN network identifier. @default 1 */
  vni: z.number().int().min(1).max(16777215).optional(),
  /** VXLAN UDP port. @default 8472 */
  port: port.optional(),
});
