import { defineLab } from 'podlab';
import { extra } from './helper.ts';
export default defineLab({
  name: 'edit',
  nodes: { w1: { ip: '172.16.94.11' } },
  ...extra,
});
