/**
 * The CNI modes' names, in the order the lab schema lists them (the order of its error messages).
 * registry.ts's `MODES` must be these modes in this order (its type check refuses anything else);
 * the lab schema (schemas.ts) reads them from here, so that the authoring API's types reach the
 * modes' schemas and not their code (compile/author-types.ts).
 */
export const CNI_TYPES = ['kubenet', 'flannel', 'calico'] as const;

/** A mode's name, as `cni: '<name>'` takes it. */
export type CniType = (typeof CNI_TYPES)[number];
