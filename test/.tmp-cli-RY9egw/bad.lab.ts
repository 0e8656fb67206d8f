import { defineLab } from 'podlab';
export default defineLab({
  name: 'bad',
  nodes: { w1: { ip: '172.16.94.300' } },
  pods: { a: { node: 'w2' } },
});
