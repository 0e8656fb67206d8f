/**
 * TLS of podlab's ingress controller, decided as ingress-nginx decides it: the certificates podlab
 * issues at `up` (one per namespace and secretName, for every host its tls entries list), and
 * which certificate each server has (createServers and extractTLSSecretName in
 * internal/ingress/controller/controller.go):
 *
 * - a host's server takes its certificate from the first Ingress (by namespace/name) that has a
 *   rule for the host and a `tls` section: the Secret of the entry listing the host, else of an
 *   entry whose certificate covers it; the controller's default ("fake") certificate when that
 *   entry has no secretName, or when no entry lists or covers the host;
 * - a host no such Ingress routes has none of its own: the request then looks for the wildcard one
 *   label up (rootfs/etc/nginx/lua/certificate.lua, get_pem_cert_uid), for the certificate SNI
 *   gets and for the redirect alike;
 * - the rules without a host (the catch-all server) never have one.
 *
 * A host with a certificate, even the default one, is a "TLS host": ssl-redirect applies to it
 * (rootfs/etc/nginx/lua/lua_ingress.lua, redirect_to_https → configured_for_current_request). Pure.
 */
import { compareText } from '../lib/order.ts';
import { ingressKey, type Ingress } from './types.ts';

/** A certificate podlab issues from the lab's CA: `<tlsDir>/<file>.crt|.key`, for these hosts. */
export interface TlsSecret {
  file: string;
  namespace: string;
  secret: string;
  hosts: string[];
}

/** A server's certificate: an issued Secret's, or the controller's default ("fake") one. */
export type ServerCert = TlsSecret | 'default';

/** The certificates podlab issues: one per (namespace, secretName), for the hosts its tls entries list. */
export function tlsSecrets(ingresses: readonly Ingress[]): TlsSecret[] {
  const out = new Map<string, TlsSecret>();
  for (const i of ingresses)
    for (const t of i.tls) {
      if (!t.secretName) continue;
      const file = `${i.namespace}-${t.secretName}`;
      const s = out.get(file) ?? { file, namespace: i.namespace, secret: t.secretName, hosts: [] };
      for (const h of t.hosts) if (!s.hosts.includes(h.toLowerCase())) s.hosts.push(h.toLowerCase());
      out.set(file, s);
    }
  return [...out.values()].sort((a, b) => compareText(a.file, b.file)).map((s) => ({ ...s, hosts: s.hosts.sort() }));
}

/** Whether a certificate name covers a host: equal, or a wildcard standing for exactly its first label (RFC 6125 6.4.3). */
function covers(name: string, host: string): boolean {
  if (!name.startsWith('*.')) return name === host;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === name.slice(2);
}

/** The certificate of each host's server (host keys lower-cased; hosts without one absent). */
export function serverCerts(ingresses: readonly Ingress[]): Map<string, ServerCert> {
  const secrets = tlsSecrets(ingresses);
  const out = new Map<string, ServerCert>();
  for (const ing of [...ingresses].sort((a, b) => compareText(ingressKey(a), ingressKey(b)))) {
    if (!ing.tls.length) continue;
    const secretOf = (name: string | undefined) => (name ? secrets.find((s) => s.namespace === ing.namespace && s.secret === name) : undefined);
    for (const rule of ing.rules) {
      const host = (rule.host ?? '').toLowerCase();
      if (host === '' || out.has(host)) continue;
      const listed = ing.tls.find((t) => t.hosts.some((h) => h.toLowerCase() === host));
      const secret = listed ? secretOf(listed.secretName) : ing.tls.map((t) => secretOf(t.secretName)).find((s) => s?.hosts.some((n) => covers(n, host)));
      out.set(host, secret ?? 'default');
    }
  }
  return out;
}

/** The certificate a request reaching the server of `host` (a host key) meets: its own, else the wildcard's one label up; none on the catch-all server. */
export function certFor(certs: ReadonlyMap<string, ServerCert>, host: string): ServerCert | undefined {
  if (host === '') return undefined;
  const own = certs.get(host);
  if (own || host.startsWith('*.')) return own;
  const dot = host.indexOf('.');
  return dot > 0 ? certs.get(`*${host.slice(dot)}`) : undefined;
}
