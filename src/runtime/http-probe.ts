/**
 * An HTTP GET from inside a network namespace with podlab's probe (`probe http-get`): the kubelet's
 * httpGet readiness and liveness probes (agent.ts) and make-unready / make-ready waiting for a
 * pod's /healthz to answer as asked (faults.ts).
 */
import { NETNS_RUN_DIR } from '../constants.ts';
import { PROBE_BIN } from './artifacts.ts';
import type { Executor } from './exec.ts';

export interface HttpGetAnswer {
  /** Whether the probe got an answer (its JSON's `ok`). */
  ok: boolean;
  /** The status the server answered; absent when none did. */
  status?: number;
  /** Why there is no status: the probe's error, or its stderr (or exit code) when it printed no JSON. */
  error?: string;
  /** What the probe printed (stdout, else stderr, else its exit code), for a message. */
  said: string;
}

/** GETs `url` from inside the namespace `netns`, giving up after `timeoutMs`. */
export async function httpGetIn(ex: Executor, netns: string, url: string, timeoutMs: number): Promise<HttpGetAnswer> {
  const r = await ex.run(['nsenter', `--net=${NETNS_RUN_DIR}/${netns}`, '--', PROBE_BIN, 'http-get', '--url', url, '--timeout-ms', String(timeoutMs)], { timeoutMs: timeoutMs + 500 });
  const said = r.stdout.trim() || r.stderr.trim() || `exit ${r.exitCode}`;
  try {
    const out = JSON.parse(r.stdout) as { ok: boolean; status?: number; error?: string };
    return { ok: out.ok, ...(out.status !== undefined ? { status: out.status } : { error: out.error ?? 'failed' }), said };
  } catch {
    return { ok: false, error: r.stderr.trim() || `exit ${r.exitCode}`, said };
  }
}
