/**
 * podlab-dns's entry point (bundled to build/dns/podlab-dns.cjs): it runs the server bundle
 * (server.cjs) from V8's code cache, so that a DNS pod does not compile the server's functions
 * again on every start. The cache (server.cache) is written once per bundle, when podlab bundles
 * the server (runtime/artifacts.ts): a run of the server in a network namespace of its own, which stores the
 * code V8 compiled by the time the server serves. Node 20 has no compile cache of its own
 * (`module.enableCompileCache` came in Node 22).
 *
 * The cache starts with the SHA-1 of the bundle it was made from. V8 checks only the source's
 * length, so a cache left from another bundle of the same length would run that bundle's code;
 * with another digest, or a cache V8 rejects (another Node), the server compiles as without one.
 *
 *   podlab-dns [server flags]                      serve (main.ts)
 *   podlab-dns [server flags] -podlab.write-code-cache   serve until ready, write the cache, exit
 *
 * PODLAB_DNS_TRACE_CACHE=1 reports on stderr whether the cache was used: accepted, rejected
 * (by V8), stale (another bundle's) or missing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { readSource } from '../../bin/code-cache.js';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import { CODE_CACHE_FLAG, LISTENING_HOOK } from './marks.ts';

const DIGEST_BYTES = 20;

function launch(dir: string): void {
  const bundle = join(dir, 'server.cjs');
  const cacheFile = join(dir, 'server.cache');
  const source = readSource(bundle);
  const digest = createHash('sha1').update(source).digest();

  let cached: Buffer | undefined;
  let verdict = 'missing';
  try {
    const file = readFileSync(cacheFile);
    if (file.subarray(0, DIGEST_BYTES).equals(digest)) cached = file.subarray(DIGEST_BYTES);
    else verdict = 'stale';
  } catch {
    /* no cache yet: compile as usual */
  }
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData: cached });
  if (cached) verdict = script.cachedDataRejected ? 'rejected' : 'accepted';
  if (process.env.PODLAB_DNS_TRACE_CACHE === '1') process.stderr.write(`podlab-dns: code cache ${verdict}\n`);

  const writeCache = process.argv.indexOf(CODE_CACHE_FLAG);
  if (writeCache >= 0) {
    process.argv.splice(writeCache, 1);
    // Called by main.ts once the server serves: by then V8 has compiled what a start-up runs.
    (globalThis as Record<symbol, unknown>)[LISTENING_HOOK] = () => {
      writeFileAtomic(cacheFile, Buffer.concat([digest, script.createCachedData()]));
      process.exit(0);
    };
  }

  const module = { exports: {} };
  const run = script.runInThisContext() as (exports: object, require: NodeRequire, module: object, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dir);
}

launch(__dirname);
