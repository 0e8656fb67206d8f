/** A wrong answer to "flannel-two-nodes": flannel with its defaults, VNI 1 on UDP 8472 (device flannel.1). */
export default { cni: 'flannel' };
