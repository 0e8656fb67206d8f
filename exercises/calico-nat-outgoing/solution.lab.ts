import type { LabSpec } from 'podlab';
import starter from './starter.lab.ts';

/**
 * The reference answer for one variant: natOutgoing on in the pool of the rack whose pods must
 * leave the cluster with their node's address, and left off in the other, as
 * `calicoctl patch ippool rack-<rack> -p '{"spec": {"natOutgoing": true}}'` would set it.
 */
export function solution(natRack: 'a' | 'b'): LabSpec {
  return {
    ...starter,
    cni: {
      type: 'calico',
      ipPools: [
        { name: 'rack-a', cidr: '10.244.0.0/20', nodeSelector: "rack == 'a'", natOutgoing: natRack === 'a' },
        { name: 'rack-b', cidr: '10.244.16.0/20', nodeSelector: "rack == 'b'", natOutgoing: natRack === 'b' },
      ],
    },
  };
}

/** As a lab file of its own (`podlab up`): the first variant, rack a's pool NATed. */
export default solution('a');
