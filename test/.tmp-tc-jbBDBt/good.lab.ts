import { defineLab } from 'podlab';
import { extra } from './helper.ts';
export default defineLab({
  name: 'good',
  nodes: { w1: { ip: '172.16.94.11' } },
  ...extra,
});
