// V8's code cache for a CommonJS file, the one way podlab compiles its big JavaScript: bin/podlab.js
// runs the CLI's bundles with it, src/compile/ts-morph.ts the TypeScript compiler (Node 20 has no
// compile cache of its own). Plain JavaScript beside bin/podlab.js, which runs before any bundle or
// TypeScript loader; the CLI bundle takes it in as any import. CommonJS, as all of bin/ is
// (bin/package.json): Node starts a CommonJS entry about 5 ms sooner than an ES module.
const { isAscii } = require('node:buffer');
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { Module } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');

/**
 * The code cache in `cacheFile` if it was made for `file` (its text `source`) by this Node, without
 * writing one: what the type check's snapshot builder (src/compile/check-snapshot.ts) compiles the
 * compiler with. `stamp` names the file and the Node.
 */
function readCodeCache(file, source, cacheFile) {
  const stamp = `${source.length}:${statSync(file).mtimeMs}:${process.version}`;
  const head = Buffer.from(`${stamp}\n`);
  try {
    const data = readFileSync(cacheFile);
    if (data.subarray(0, head.length).equals(head)) return { stamp, cachedData: data.subarray(head.length) };
  } catch {
    /* none yet */
  }
  return { stamp, cachedData: undefined };
}

/**
 * `file` (its text `source`, wrapped as a CommonJS module) compiled as `filename`, from the code
 * cache in `cacheFile` when that was made for the same file (its length and modification time) by
 * the same Node: V8 itself checks only the source's length. When there was none, or V8 rejected
 * it, one is written at exit: by then V8 has compiled what the process ran, not only the top
 * level. A cache that cannot be read or written costs only the speed.
 */
function cachedScript(file, source, filename, cacheFile, mode) {
  const { stamp, cachedData } = readCodeCache(file, source, cacheFile);
  const head = Buffer.from(`${stamp}\n`);
  const script = new Script(Module.wrap(source), { filename, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
        // Written aside and renamed: a process starting meanwhile never reads half a cache.
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, Buffer.concat([head, script.createCachedData()]), mode === undefined ? undefined : { mode });
        renameSync(tmp, cacheFile);
      } catch {
        /* only the speed */
      }
    });
  }
  return { script, stamp };
}

/**
 * A JavaScript file's text. One that is all ASCII (podlab's bundles are written so: asciiOnly;
 * TypeScript's compiler is) is decoded as Latin-1, which gives the same text sooner: 1 against 8 ms
 * for up.cjs (2.5 MB), 3 against 18 ms for typescript.js (9 MB).
 */
function readSource(file) {
  const bytes = readFileSync(file);
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

/**
 * JavaScript text with every character beyond ASCII written as its `\u` escape: the same program
 * (esbuild escapes strings itself, but leaves comments and regular expressions as they were). V8
 * keeps it at one byte a character, and compiles it from the code cache sooner (up.cjs: 5 against
 * 7 ms); readSource reads it as Latin-1. No bundle of podlab's uses String.raw, the one place where
 * an escape would differ from its character.
 */
function asciiOnly(js) {
  return js.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

module.exports = { readCodeCache, cachedScript, readSource, asciiOnly };
