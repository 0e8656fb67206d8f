import { defineLab } from 'podlab';
import { extra } from './helper.ts';
export default defineLab({
  name: 'bad',
  nodes: { w1: { ip: 42 } },
  ...extra,
});
