/**
 * Cluster DNS rules: the Corefile is checked as podlab-dns will load it (each issue pointing at
 * the Corefile's own line inside the lab file), zone files parse, forwarders lead somewhere in
 * the lab (there is no way out of it), and pods' dnsPolicy/dnsConfig are what kubelet accepts.
 * CoreDNS cannot lint a Corefile (coredns#7078); podlab does it before anything is built.
 */
import { DNS } from '../constants.ts';
import { dnsServiceIp } from '../k8s/objects.ts';
import { defaultCorefile } from '../dns/corefile/defaults.ts';
import { checkCorefile } from '../dns/corefile/diagnostics.ts';
import type { ServerConfig } from '../dns/types.ts';
import { HOST_DNS_FILES } from '../dns/corefile/setup.ts';
import { parseZoneFile } from '../dns/zonefile.ts';
import * as ip from '../net/ipv4.ts';
import { diag, warning, type Diagnostic, type Path } from './diagnostics.ts';
import type { Lab } from './lab.ts';
import { plainNameProblem } from '../lib/plain-name.ts';

type Rule = (lab: Lab, out: Diagnostic[]) => void;

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?\.?$/i;


/** Every address something in the lab answers on (so a forwarder there can be reached). */
function labAddresses(lab: Lab): Set<string> {
  const out = new Set<string>();
  for (const n of lab.nodes) if (n.ip) out.add(n.ip6 ?? n.ip);
  for (const h of lab.hosts) if (h.ip) out.add(h.ip6 ?? h.ip);
  for (const s of lab.services) if (s.clusterIP && s.clusterIP !== 'None') out.add(s.clusterIP);
  return out;
}

function dnsAddress(lab: Lab): string | undefined {
  const c = ip.parseCidr(lab.serviceCidr);
  return c ? ip.formatIp(dnsServiceIp(c)) : undefined;
}

/** `dns.node` exists, nothing of the author's takes the DNS pod's or Service's name, nameservers are addresses or hosts. */
export const clusterDnsIsValid: Rule = (lab, out) => {
  const dns = lab.dns;
  if (!dns) return;
  if (lab.nodes.length && !lab.nodes.some((n) => n.name === dns.node))
    out.push(diag('PL2006', ['dns', 'node'], `dns.node "${dns.node}" is not a node of this lab`, `Nodes: ${lab.nodes.map((n) => n.name).join(', ')}.`));
  if (lab.pods.some((p) => p.name === DNS.podName))
    out.push(diag('PL2026', ['pods', DNS.podName], `pod name "${DNS.podName}" is taken by the cluster DNS pod (kube-system/${DNS.podName})`, 'Rename the pod, or turn cluster DNS off with dns: false.'));
  if (lab.services.some((s) => s.name === DNS.serviceName && s.namespace === DNS.namespace))
    out.push(diag('PL2026', ['services', DNS.serviceName], `Service ${DNS.namespace}/${DNS.serviceName} is the cluster DNS Service podlab creates`, 'Rename it, or turn cluster DNS off with dns: false.'));
  const dnsIp = dnsAddress(lab);
  dns.nameservers.forEach((r, i) => {
    if (r.startsWith('host/')) {
      if (!lab.hosts.some((h) => h.name === r.slice(5)))
        out.push(diag('PL2023', ['dns', 'nameservers', i], `nameserver "${r}" names no host of this lab`, `Hosts: ${lab.hosts.map((h) => h.name).join(', ') || '(none)'}.`));
    } else if (ip.parseIp(r) === undefined) out.push(diag('PL2023', ['dns', 'nameservers', i], `nameserver "${r}" is not an IPv4 address or host/<name>`, 'Write e.g. "203.0.113.53" or "host/upstream".'));
  });

  const text = dns.corefile ?? defaultCorefile(lab.clusterDomain);
  const { servers, diagnostics } = checkCorefile(text, dns.files, ['dns', 'corefile'], 'Corefile');
  out.push(...diagnostics);
  checkZoneFiles(servers, dns.files, ['dns', 'files'], out);
  const reachable = labAddresses(lab);
  // An address of a network whose every machine has its address written is in the lab only as one
  // of those; where some are left to the plan, any address of the network may be one.
  const nodeNetKnown = lab.nodes.every((n) => n.ip) && lab.hosts.filter((h) => h.network !== 'external').every((h) => h.ip);
  const externalKnown = lab.hosts.filter((h) => h.network === 'external').every((h) => h.ip);
  const inLab = (a: string) =>
    reachable.has(a) ||
    [lab.podCidr, lab.serviceCidr, ...(nodeNetKnown ? [] : [lab.nodeNetwork.cidr]), ...(lab.hosts.some((h) => h.network === 'external') && !externalKnown ? [lab.externalNetwork.cidr] : [])].some((c) => inCidr(c, a));
  // A host answers DNS only with zones of its own (its podlab-dns); a node answers none.
  const silent = (a: string) => lab.hosts.find((h) => !h.dns && (h.ip === a || h.ip6 === a))?.name ?? lab.nodes.find((n) => n.ip === a || n.ip6 === a)?.name;
  const own = new Set(['127.0.0.1', ...(dnsIp ? [dnsIp] : [])]);
  for (const s of servers)
    for (const p of s.plugins) {
      if (p.plugin !== 'forward') continue;
      for (const t of p.to) {
        if (!t.address) continue;
        const at = { line: t.pos.line, col: t.pos.col };
        if (own.has(t.address.ip) && t.address.port === s.port)
          out.push({ ...warning('PL2024', ['dns', 'corefile'], `Corefile ${at.line}:${at.col}: forward to ${t.text} sends queries back to this DNS server: a loop (the loop plugin will stop forwarding)`, 'Forward to an upstream DNS host, e.g. one of the lab\'s hosts with dns zones.'), within: at });
        else if (!inLab(t.address.ip))
          out.push({ ...warning('PL2024', ['dns', 'corefile'], `Corefile ${at.line}:${at.col}: nothing in the lab answers at ${t.address.ip}; labs have no way out, so these queries fail`, `Declare a host with dns zones and forward to it${dnsHosts(lab)}.`), within: at });
        else if (silent(t.address.ip))
          out.push({ ...warning('PL2024', ['dns', 'corefile'], `Corefile ${at.line}:${at.col}: ${t.address.ip} is ${silent(t.address.ip)}'s, which runs no DNS server; these queries fail`, `Give that host dns zones, or forward to one that has them${dnsHosts(lab)}.`), within: at });
      }
    }
};

/** ` (hosts with dns zones: upstream 203.0.113.53)`, or nothing when there is none. */
function dnsHosts(lab: Lab): string {
  const hosts = lab.hosts.filter((h) => h.dns && h.ip);
  return hosts.length ? ` (hosts with dns zones: ${hosts.map((h) => `${h.name} ${h.ip}`).join(', ')})` : " (e.g. host/upstream's address)";
}

function inCidr(cidr: string, addr: string): boolean {
  const c = ip.parseCidr(cidr);
  const a = ip.parseIp(addr);
  return !!c && a !== undefined && ip.contains(c, a);
}

/** Zone files named by `file` directives parse (each issue at its line inside the file's text). */
function checkZoneFiles(servers: ServerConfig[], files: Record<string, string>, path: Path, out: Diagnostic[]): void {
  const seen = new Set<string>();
  for (const s of servers)
    for (const p of s.plugins) {
      if (p.plugin !== 'file' || files[p.file] === undefined) continue;
      for (const origin of p.zones) {
        const key = `${p.file} ${origin}`;
        if (seen.has(key)) continue;
        seen.add(key);
        for (const i of parseZoneFile(files[p.file]!, origin).issues)
          out.push({ ...diag('PL2027', [...path, p.file], `zone file "${p.file}" (${origin}) ${i.line}:${i.col}: ${i.message}`), within: { line: i.line, col: i.col } });
      }
    }
}

/** A host's DNS server: zones are domain names whose files parse; its Corefile (given or generated) loads. */
export const hostDnsIsValid: Rule = (lab, out) => {
  for (const h of lab.hosts) {
    if (!h.dns) continue;
    const origins = Object.keys(h.dns.zones);
    if (!origins.length && h.dns.corefile === undefined)
      out.push(diag('PL2028', ['hosts', h.name, 'dns'], `host "${h.name}" runs a DNS server with no zones and no Corefile`, "Give it zones: { 'example.org': zoneFileText }."));
    for (const o of origins) {
      if (!DOMAIN.test(o)) {
        out.push(diag('PL2027', ['hosts', h.name, 'dns', 'zones', o], `zone "${o}" of host "${h.name}" is not a domain name`, 'Write the origin as e.g. "example.org".'));
        continue;
      }
      for (const i of parseZoneFile(h.dns.zones[o]!, `${o.replace(/\.$/, '')}.`).issues)
        out.push({ ...diag('PL2027', ['hosts', h.name, 'dns', 'zones', o], `zone file of "${o}" on host "${h.name}" ${i.line}:${i.col}: ${i.message}`), within: { line: i.line, col: i.col } });
    }
    if (h.dns.corefile !== undefined) {
      const { servers, diagnostics } = checkCorefile(h.dns.corefile, h.dns.files, ['hosts', h.name, 'dns', 'corefile'], `host "${h.name}" Corefile`, HOST_DNS_FILES);
      out.push(...diagnostics);
      checkZoneFiles(servers, h.dns.files, ['hosts', h.name, 'dns', 'files'], out);
    }
  }
};

/** kubelet's checks of a pod's dnsPolicy and dnsConfig. */
export const podDnsIsValid: Rule = (lab, out) => {
  for (const p of lab.pods) {
    const c = p.dnsConfig;
    const at = (...rest: (string | number)[]) => ['pods', p.name, ...rest];
    if (p.dnsPolicy === 'None' && !c?.nameservers.length)
      out.push(diag('PL2025', at('dnsPolicy'), `pod "${p.name}" has dnsPolicy "None" but no dnsConfig.nameservers`, 'With dnsPolicy "None" the resolver has only dnsConfig: give it at least one nameserver (e.g. the DNS Service\'s 10.96.0.10).'));
    if (!c) continue;
    c.nameservers.forEach((n, i) => {
      if (ip.parseIp(n) === undefined) out.push(diag('PL2025', at('dnsConfig', 'nameservers', i), `pod "${p.name}": nameserver "${n}" is not an IPv4 address`));
    });
    c.searches.forEach((d, i) => {
      if (!DOMAIN.test(d)) out.push(diag('PL2025', at('dnsConfig', 'searches', i), `pod "${p.name}": search domain "${d}" is not a domain name`));
    });
    if (c.searches.join(' ').length > 2048)
      out.push(diag('PL2025', at('dnsConfig', 'searches'), `pod "${p.name}": the search list is longer than 2048 characters (kubelet's limit)`));
  }
};

/**
 * The names of the files beside a Corefile become files in the DNS server's directory, written as
 * root: each must be a plain name, or `../x` would be written outside it.
 */
/** Files podlab itself writes into a DNS server's directory (the Corefile, the cluster view the kubernetes plugin reads). */
const RESERVED_DNS_FILES = new Set(['Corefile', 'cluster.json']);

export const dnsFileNamesArePlain: Rule = (lab, out) => {
  const check = (files: Record<string, string>, path: Path, whose: string) => {
    for (const name of Object.keys(files)) {
      const problem = plainNameProblem(name);
      if (problem)
        out.push(diag('PL2050', [...path, name], `${whose} file name ${JSON.stringify(name)} is not a plain file name: ${problem}`, "Name the file without '/', '..' or control characters, e.g. \"db.example.org\"; it is written into the DNS server's own directory."));
      else if (RESERVED_DNS_FILES.has(name))
        out.push(diag('PL2051', [...path, name], `${whose} file name "${name}" is the name of a file podlab writes there itself`, `Rename it; ${[...RESERVED_DNS_FILES].join(' and ')} are podlab's.`));
    }
  };
  if (lab.dns) check(lab.dns.files, ['dns', 'files'], 'DNS');
  for (const h of lab.hosts) if (h.dns) check(h.dns.files, ['hosts', h.name, 'dns', 'files'], `host "${h.name}" DNS`);
};

export const DNS_RULES: Rule[] = [dnsFileNamesArePlain, clusterDnsIsValid, hostDnsIsValid, podDnsIsValid];
