/** A wrong answer to "flannel-two-nodes": VNI 42, but on flannel's default UDP port 8472, not the 4789 the network allows. */
export default { cni: { type: 'flannel', vni: 42 } };
