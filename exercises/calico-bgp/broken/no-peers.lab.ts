/** A wrong answer to "calico-bgp": the mesh off and no peers at all: every BIRD runs alone, no node learns another's block. */
export default { cni: { type: 'calico', nodeToNodeMesh: false } };
