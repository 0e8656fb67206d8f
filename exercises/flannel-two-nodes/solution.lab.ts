import { defineLab } from 'podlab';
import starter from './starter.lab.ts';

/**
 * The reference answer: flannel's VXLAN backend with the VNI and UDP port the task gives, as
 * flannel's net-conf.json would say { "Backend": { "Type": "vxlan", "VNI": 42, "Port": 4789 } }.
 */
export default defineLab({ ...starter, cni: { type: 'flannel', vni: 42, port: 4789 } });
