/** The udp kind: the native probe sends one datagram to an echo server; reached when the echo comes back. */
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
    const reached = out.ok === true;
    return reachVerdict(c, reached, reached ? `echo from ${out.remote} to ${out.local}` : `no echo (${out.error ?? lastLine(r)})`, undefined, wasRefused(out));
  },
};
