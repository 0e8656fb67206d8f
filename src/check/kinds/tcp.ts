/** The tcp kind: the native probe opens a connection; reached when it is accepted. */
import { lastLine, type ProbeKind, type Stage } from './kind.ts';
import { ATTEMPT_TIMEOUT_MS, normalizeReach, planReach, reachVerdict, readProbeReport, validateReach, wasRefused, type ReachCheck } from './reach.ts';

export type TcpCheck<S extends Stage> = ReachCheck<S, 'tcp'>;

export const tcp: ProbeKind<'tcp', TcpCheck<'lab'>, TcpCheck<'plan'>> = {
  kind: 'tcp',
  normalize: normalizeReach,
  validate: (lab, c, out) => validateReach(lab, c, out),
  plan: planReach,
  probe: (c, probeBin, attemptMs = ATTEMPT_TIMEOUT_MS) => [probeBin, 'tcp-connect', '--host', c.to.ip, '--port', String(c.port), '--timeout-ms', String(attemptMs)],
  judge(_plan, c, r) {
    const out = readProbeReport(r);
    const reached = out.ok === true;
    return reachVerdict(c, reached, reached ? `connected from ${out.local} to ${c.to.ip}:${c.port}` : `no connection (${out.error ?? lastLine(r)})`, undefined, wasRefused(out));
  },
};
