/**
 * Kubernetes object names that reach configuration files: a NetworkPolicy's name becomes nft
 * chain and set names and comments, an Ingress's and a Calico IP pool's a comment line in
 * nginx.conf and bird.conf, a TLS Secret's a certificate's file name. The API server holds them to
 * DNS-1123 subdomains (lower-case letters, digits, '-' and '.', at most 253 characters, each
 * dot-separated part starting and ending with a letter or digit); podlab does the same, so none of
 * them can carry a line break, a quote, a brace or a '/' into what root loads.
 * `assertConfigSafe` is the defensive check where such a name is written.
 */
import { CONTROL } from './plain-name.ts';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const isDnsSubdomain = (name: string): boolean => name.length <= 253 && SUBDOMAIN.test(name);

export const DNS_SUBDOMAIN_HINT = "Use lower-case letters, digits, '-' and '.' (at most 253), each part starting and ending with a letter or digit, e.g. \"allow-web\" (a Kubernetes object name).";


/**
 * Throws unless every string in `view` (deeply) is free of control characters, so that nothing
 * rendered into a line-oriented configuration file (nginx.conf, bird.conf) can start a line of
 * its own: validation refuses such values first; this is the check at the place they are written.
 */
export function assertConfigSafe(what: string, view: unknown, path = ''): void {
  if (typeof view === 'string') {
    if (CONTROL.test(view)) throw new Error(`${what}: refusing to render ${path || 'a value'} ${JSON.stringify(view)}: it holds a control character (a line break would start a directive of its own)`);
  } else if (Array.isArray(view)) view.forEach((v, i) => assertConfigSafe(what, v, `${path}[${i}]`));
  else if (view && typeof view === 'object') for (const [k, v] of Object.entries(view)) assertConfigSafe(what, v, path ? `${path}.${k}` : k);
}
