/** reload-dns: give the cluster DNS a new Corefile (checked first) and reload it; without `corefile`, reload the current one. */
import { diag } from '../../compile/diagnostics.ts';
import { checkCorefile } from '../../dns/corefile/diagnostics.ts';
import type { ScenarioAction } from './action.ts';

export const reloadDnsAction: ScenarioAction<'reload-dns'> = {
  action: 'reload-dns',
  normalize: (a) => a,
  /** The lab has a cluster DNS, and a Corefile it would load is one that loads. */
  validate(a, step, out) {
    const dns = step.lab.dns;
    if (!dns) out.push(diag('PL2029', step.at('action'), `${step.what}: the lab has no cluster DNS (dns: false)`));
    else if (a.corefile !== undefined) out.push(...checkCorefile(a.corefile, dns.files, step.at('corefile'), 'Corefile').diagnostics);
  },
  describe: (a) => (a.corefile === undefined ? 'reload-dns' : 'reload-dns with a new Corefile'),
  async run(live, a) {
    const r = await live.reloadDns(a.corefile);
    return `DNS server reloaded${a.corefile === undefined ? '' : ' with the new Corefile'}${r.warnings.length ? ` (${r.warnings.length} warning(s): ${r.warnings.map((w) => w.message).join('; ')})` : ''}`;
  },
};
