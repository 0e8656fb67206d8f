/**
 * The client of build/native/spawner (native/spawner.c): a small process that forks podlab's
 * commands for it. Node forks itself to start a child, which costs time in proportion to the
 * parent's memory (6-12 ms at podlab's 120-200 MiB, on its only thread); the spawner's fork costs a
 * fraction of that, and podlab's thread only writes a request and reads the answer.
 *
 * One spawner per process, started on first use when the binary exists (PODLAB_SPAWNER=0 turns
 * it off); if it cannot start or dies, callers fall back to Node's own spawning. It keeps the
 * event loop alive only while a request is pending, and exits when podlab does (stdin closes).
 */
import { BUILD_DIR } from './build-dir.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { endianness } from 'node:os';

/** Requests the spawner holds at once (its MAX_JOBS); more wait here, in order. */
export const SPAWNER_SLOTS = 256;

/** In podlab's build folder (build-dir.ts: the package's build/, or the user's cache). */
export const SPAWNER_BIN = `${BUILD_DIR}/native/spawner`;

export interface SpawnAnswer {
  /** run: 0 exited, 1 signaled, 2 timed out, 3 could not start; daemon: 0 ready/started, 2 not ready in time, 3 could not start, 4 exited first. */
  status: number;
  value: number;
  pid: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface SpawnRequest {
  kind: 'run' | 'daemon';
  argv: readonly string[];
  env: Record<string, string | undefined>;
  timeoutMs?: number;
  input?: string;
  logFile?: string;
  readyLine?: string;
  /** Namespace files the child enters, in order, before it execs (what nsenter would do). */
  join?: readonly string[];
}

/** The request frame, as native/spawner.c reads it: one buffer, sized first (no piece per field). */
export function encodeRequest(id: number, r: SpawnRequest): Buffer {
  const strings: string[] = [];
  for (const [k, v] of Object.entries(r.env)) if (v !== undefined) strings.push(`${k}=${v}`);
  const envc = strings.length;
  const join = r.join ?? [];
  const all = [...r.argv, ...strings, r.input ?? '', r.logFile ?? '', r.readyLine ?? '', ...join];
  let size = 4 * 6; // id, kind, timeout, argc, envc, nsc
  for (const s of all) size += 4 + Buffer.byteLength(s);
  const b = Buffer.allocUnsafe(4 + size);
  let p = 0;
  const u32 = (n: number) => (p = b.writeUInt32LE(n >>> 0, p));
  const str = (s: string) => {
    const n = b.write(s, p + 4);
    u32(n);
    p += n;
  };
  u32(size);
  u32(id);
  u32(r.kind === 'run' ? 0 : 1);
  u32(r.timeoutMs ?? 0);
  u32(r.argv.length);
  for (const a of r.argv) str(a);
  u32(envc);
  for (const e of strings) str(e);
  str(r.input ?? '');
  str(r.logFile ?? '');
  str(r.readyLine ?? '');
  u32(join.length);
  for (const f of join) str(f);
  return b;
}

/** Answer frames out of a byte stream: the frames complete so far, and the rest. */
export function decodeAnswers(buf: Buffer): { answers: (SpawnAnswer & { id: number })[]; rest: Buffer } {
  const answers: (SpawnAnswer & { id: number })[] = [];
  let off = 0;
  while (buf.length - off >= 4) {
    const len = buf.readUInt32LE(off);
    if (buf.length - off - 4 < len) break;
    let p = off + 4;
    const read = () => {
      const v = buf.readUInt32LE(p);
      p += 4;
      return v;
    };
    const id = read();
    const status = read();
    const value = buf.readInt32LE(p);
    p += 4;
    const pid = buf.readInt32LE(p);
    p += 4;
    const outLen = read();
    const stdout = buf.subarray(p, p + outLen);
    p += outLen;
    const errLen = read();
    const stderr = buf.subarray(p, p + errLen);
    answers.push({ id, status, value, pid, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr) });
    off += 4 + len;
  }
  return { answers, rest: buf.subarray(off) };
}

class Spawner {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (a: SpawnAnswer) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private buf = Buffer.alloc(0);
  /** Requests beyond SPAWNER_SLOTS, sent as answers free slots. */
  private readonly waiting: { frame: (id: number) => Buffer; resolve: (a: SpawnAnswer) => void; reject: (e: Error) => void }[] = [];
  dead = false;

  /** The spawner's own pid (its CPU time is podlab's overhead; the bench reads it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  constructor(bin: string) {
    this.child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.child.on('error', (e) => this.fail(e));
    this.child.on('exit', (code, signal) => this.fail(new Error(`the spawner exited (${signal ?? code})`)));
    this.child.stdin!.on('error', (e) => this.fail(e));
    this.child.unref();
    this.idle();
  }

  /** Nothing pending: the spawner must not keep podlab alive. */
  private idle(): void {
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref(): void }).unref();
  }

  private onData(d: Buffer): void {
    const { answers, rest } = decodeAnswers(this.buf.length ? Buffer.concat([this.buf, d]) : d);
    this.buf = Buffer.from(rest);
    for (const a of answers) {
      const p = this.pending.get(a.id);
      this.pending.delete(a.id);
      p?.resolve(a);
    }
    while (this.waiting.length && this.pending.size < SPAWNER_SLOTS) this.send(this.waiting.shift()!);
    if (!this.pending.size) this.idle();
  }

  private fail(e: Error): void {
    this.dead = true;
    for (const p of [...this.pending.values(), ...this.waiting]) p.reject(e);
    this.pending.clear();
    this.waiting.length = 0;
  }

  private send(w: { frame: (id: number) => Buffer; resolve: (a: SpawnAnswer) => void; reject: (e: Error) => void }): void {
    const id = this.nextId++;
    if (!this.pending.size) (this.child.stdout as unknown as { ref(): void }).ref();
    this.pending.set(id, { resolve: w.resolve, reject: w.reject });
    this.child.stdin!.write(w.frame(id));
  }

  request(r: SpawnRequest): Promise<SpawnAnswer> {
    if (this.dead) return Promise.reject(new Error('the spawner is gone'));
    return new Promise((resolve, reject) => {
      const w = { frame: (id: number) => encodeRequest(id, r), resolve, reject };
      if (this.pending.size < SPAWNER_SLOTS) this.send(w);
      else this.waiting.push(w);
    });
  }
}

let instance: Spawner | undefined;

/** The process's spawner, started on first use; undefined when it cannot be used (Node spawns then). */
export function spawner(): Spawner | undefined {
  if (instance && !instance.dead) return instance;
  if (instance?.dead || process.env.PODLAB_SPAWNER === '0' || endianness() !== 'LE' || !existsSync(SPAWNER_BIN)) return undefined;
  try {
    instance = new Spawner(SPAWNER_BIN);
  } catch {
    return undefined;
  }
  return instance;
}
