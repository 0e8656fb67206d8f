/**
 * The Corefiles podlab writes when an author gives none: kubeadm's default for the cluster, and
 * an upstream host's (one authoritative server block per zone, each zone in a file beside it).
 */
import { template } from '../../lib/templates.ts';

/** kubeadm's default Corefile for a cluster domain. */
export function defaultCorefile(domain: string): string {
  return template('Corefile')({ domain });
}

/** The zone file name of an origin beside a host's Corefile. */
export const zoneFileName = (origin: string) => `db.${origin.replace(/\.$/, '') || 'root'}`;

/** An upstream host's Corefile: one authoritative server block per zone. */
export function hostCorefile(zones: string[]): string {
  return template('host-Corefile')({ zones: zones.map((z) => ({ origin: z.replace(/\.$/, '') || '.', file: zoneFileName(z) })) });
}
