import type { Script } from 'node:vm';

/** See bin/code-cache.js. */
export function cachedScript(file: string, source: string, filename: string, cacheFile: string, mode?: number): { script: Script; stamp: string };

/** See bin/code-cache.js. */
export function readCodeCache(file: string, source: string, cacheFile: string): { stamp: string; cachedData: Buffer | undefined };

/** See bin/code-cache.js. */
export function readSource(file: string): string;

/** See bin/code-cache.js. */
export function asciiOnly(js: string): string;
