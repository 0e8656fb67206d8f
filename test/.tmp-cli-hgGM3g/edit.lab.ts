import { defineLab } from 'podlab';
export default defineLab({
  name: 'edit',
  nodes: { w1: { ip: '172.16.94.11' } },
});
