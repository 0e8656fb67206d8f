/**
 * A wrong answer to "flannel-two-nodes": kubenet kept, and the cloud network "fixed" to deliver
 * pod traffic. Only `cni` is taken from a submission, so it fails like the starter.
 */
export default { cni: 'kubenet', nodeNetwork: { podTraffic: 'deliver' } };
