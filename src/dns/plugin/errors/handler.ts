/**
 * `errors`: the chain's error boundary, as CoreDNS's errors plugin is (plugin/errors): when a
 * plugin below fails (in podlab: its promise rejects), the error is logged as
 *
 *   [ERROR] plugin/errors: 2 <qname> <qtype>: <message>
 *
 * (2 is SERVFAIL's rcode, the name is the lower-case question with its dot) and the client gets
 * SERVFAIL. Nothing escapes, not even a failing log writer. Responses that merely carry an error
 * rcode are not errors and pass untouched.
 */
import type { DnsResponse, ErrorsConfig, Plugin } from '../../types.ts';
import { servfail } from '../../records.ts';

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  try {
    return String(e);
  } catch {
    return 'unknown error';
  }
}

/** @param write where the `[ERROR]` lines go (the server's log). */
export function errorsPlugin(config: ErrorsConfig, write: (line: string) => void): Plugin {
  void config; // no options (CoreDNS's `consolidate` and `stacktrace` are not supported)
  return {
    name: 'errors',
    async serve(req, next): Promise<DnsResponse> {
      try {
        return await next(req);
      } catch (e) {
        try {
          write(`[ERROR] plugin/errors: 2 ${req.qname} ${req.qtype}: ${messageOf(e)}`);
        } catch {
          // The log is best effort; the answer must still go out.
        }
        return servfail();
      }
    },
    // Only what it catches is logged, and a SERVFAIL is never replayed (server.ts): nothing to miss.
    replayToken: () => 0,
  };
}
