/**
 * A wrong answer to "flannel-two-nodes": the starter's CNI unchanged, routes via the other node's
 * address, which the cloud network drops. Only `cni` is taken from a submission, so this is all of
 * it that counts.
 */
export default { cni: 'kubenet' };
