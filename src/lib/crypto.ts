/**
 * The functions of node:crypto podlab uses, the module taken at the first call
 * (`process.getBuiltinModule`). Node compiles node:crypto when it is first imported, about 1.5 ms,
 * which every command paid at its start through the modules that import these, where most
 * commands (`status`, `exec`, `logs`, `check`, …) hash nothing. The DNS server imports
 * node:crypto itself: it hashes its Corefile as it starts.
 */
import type { Hash, Hmac } from 'node:crypto';

const crypto = () => process.getBuiltinModule('node:crypto');

export const createHash = (algorithm: string): Hash => crypto().createHash(algorithm);
export const createHmac = (algorithm: string, key: NodeJS.ArrayBufferView): Hmac => crypto().createHmac(algorithm, key);
export const randomBytes = (size: number): Buffer => crypto().randomBytes(size);
export const randomInt = (max: number): number => crypto().randomInt(max);
export const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean => crypto().timingSafeEqual(a, b);
