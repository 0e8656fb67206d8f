/**
 * `cni:` in a lab, for validation: a mode's name, or its object form (each mode's `<mode>/schema.ts`).
 * Only the lab schema reads it, so zod and the schemas load when a lab is validated, not when one
 * that validated before is planned or brought up. Every mode of names.ts (and so of registry.ts's
 * `MODES`) needs its entry here: the `satisfies` below refuses a mode without one.
 */
import { z } from 'zod';
import { CNI_TYPES, type CniType } from './names.ts';
import { calicoSchema } from './calico/schema.ts';
import { flannelSchema } from './flannel/schema.ts';
import { kubenetSchema } from './kubenet/schema.ts';

const BY_TYPE = { kubenet: kubenetSchema, flannel: flannelSchema, calico: calicoSchema } satisfies Record<CniType, z.ZodType>;

/** `cni:` in a lab: a mode's name, or its object form, the modes in `MODES`' order (the order of the schema's error messages). */
export const cniSchema = z.union([z.enum(CNI_TYPES), ...(CNI_TYPES.map((t) => BY_TYPE[t]) as [typeof kubenetSchema, typeof flannelSchema, typeof calicoSchema])]);
