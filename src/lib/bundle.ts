/**
 * Which build of podlab is running: bin/podlab.js runs the CLI as a bundle and says so (the folder
 * it lives in, and its stamp: size, time and Node's version, as for its V8 code cache). The CLI's
 * caches of pure steps (render, validation) are keyed by it; without a bundle (the sources through
 * tsx, tests) there is none and nothing is cached.
 */

/** What bin/podlab.js says of the bundle it runs: the folder it lives in, and its stamp. */
export interface BundleInfo {
  dir: string;
  stamp: string;
}

export function runningBundle(): BundleInfo | undefined {
  return (globalThis as Record<symbol, unknown>)[Symbol.for('podlab.bundle')] as BundleInfo | undefined;
}
