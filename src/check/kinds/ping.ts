/** The ping kind: one ICMP echo from the source; reached when the reply comes back. */
import { lastLine, type ProbeKind, type Stage } from './kind.ts';
import { ATTEMPT_TIMEOUT_MS, normalizeReach, planReach, reachVerdict, validateReach, type ReachCheck } from './reach.ts';

export type PingCheck<S extends Stage> = ReachCheck<S, 'ping'>;

export const ping: ProbeKind<'ping', PingCheck<'lab'>, PingCheck<'plan'>> = {
  kind: 'ping',
  normalize: normalizeReach,
  validate: (lab, c, out) => validateReach(lab, c, out),
  plan: planReach,
  // One reply wanted within 1 s, an echo sent every 200 ms until then: a first echo lost (a route still
  // being programmed) costs 200 ms, not the attempt. A drop stays a drop, an ICMP error ends it at once.
  // A ping the policies are predicted to drop (check/run.ts) waits attemptMs for one echo's reply
  // (ping's -w takes whole seconds; -W, one reply's wait, takes fractions).
  probe: (c, _probeBin, attemptMs = ATTEMPT_TIMEOUT_MS) =>
    attemptMs < ATTEMPT_TIMEOUT_MS ? ['ping', '-n', '-c', '1', '-W', String(attemptMs / 1000), c.to.ip] : ['ping', '-n', '-c', '1', '-i', '0.2', '-w', '1', c.to.ip],
  judge(_plan, c, r) {
    const reached = r.exitCode === 0 && /\b1 received\b/.test(r.stdout);
    const rtt = /time=([\d.]+) ms/.exec(r.stdout);
    return reachVerdict(c, reached, reached ? `reply from ${c.to.ip}${rtt ? ` in ${rtt[1]} ms` : ''}` : `no reply (${lastLine(r)})`);
  },
};
