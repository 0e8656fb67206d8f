/**
 * The udp kind: the native probe sends one datagram to an echo server; reached when the echo comes
 * back. An answer that is not the echo (a DNS server's, say) still proves the datagram got there:
 * it fails a check that expects the echo, and it fails a no-reach check too.
 */
import { lastLine, type ProbeKind, type Stage } from './kind.ts';
import { ATTEMPT_TIMEOUT_MS, normalizeReach, planReach, reachVerdict, readProbeReport, validateReach, wasRefused, type ReachCheck } from './reach.ts';

export type UdpCheck<S extends Stage> = ReachCheck<S, 'udp'>;

export const udp: ProbeKind<'udp', UdpCheck<'lab'>, UdpCheck<'plan'>> = {
  kind: 'udp',
  normalize: normalizeReach,
  validate: (lab, c, out) => validateReach(lab, c, out),
  plan: planReach,
  probe: (c, probeBin, attemptMs = ATTEMPT_TIMEOUT_MS) => [probeBin, 'udp-echo-client', '--host', c.to.ip, '--port', String(c.port), '--message', `podlab-check-${c.index}`, '--timeout-ms', String(attemptMs)],
  judge(_plan, c, r) {
    const out = readProbeReport(r);
    const echoed = out.ok === true;
    // Something answered, but not with the echo: the server is no echo server, and the port was reached.
    const answered = !echoed && out.code === 'EMISMATCH';
    if (answered && c.expect === 'no-reach') return reachVerdict(c, true, `an answer from ${c.to.ip}:${c.port} that is not the echo (${out.error}): the datagram reached a server there`);
    const seen = echoed
      ? `echo from ${out.remote} to ${out.local}`
      : answered
        ? `no echo (${out.error}): something answers there, but not as an echo server does; a udp check needs the udpEcho workload (a DNS server is asked with a dns check)`
        : `no echo (${out.error ?? lastLine(r)})`;
    return { ...reachVerdict(c, echoed, seen, undefined, wasRefused(out)), ...(answered ? { definite: true } : {}) };
  },
};
