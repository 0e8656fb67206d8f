/**
 * Headless Chromium for live tests, driven over the Chrome DevTools Protocol with `ws` (already
 * podlab's websocket library): launch Debian's /usr/bin/chromium (installed by scripts/setup.sh,
 * no browser download), open a page, evaluate script in it, click with the mouse, take a
 * screenshot, and kill the browser by its pid (its own process group, so its helper processes go
 * with it). The protocol's few commands used here are stable across Chromium releases; a
 * puppeteer-sized dependency would bring a dozen packages for them (docs/architecture.md).
 *
 * The browser is kept to the lab: every host name but 127.0.0.1 resolves to nothing
 * (--host-resolver-rules) and its background services are off, so it sends nothing outside.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export const CHROMIUM = process.env.PODLAB_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  // Root (as live tests run) cannot use Chromium's sandbox; the page is podlab's own, on 127.0.0.1.
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--remote-debugging-port=0',
  '--window-size=1600,1100',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-domain-reliability',
  '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
  '--metrics-recording-only',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

type Message = { id?: number; method?: string; params?: Record<string, unknown>; sessionId?: string; result?: Record<string, unknown>; error?: { message: string } };

export class Browser {
  private next = 1;
  private pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private listeners: ((m: Message) => void)[] = [];

  private constructor(
    readonly proc: ChildProcess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Message;
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(m.error.message));
        else p?.resolve(m.result ?? {});
      } else for (const l of [...this.listeners]) l(m);
    });
  }

  /** Starts Chromium and connects to it; the pid is `browser.proc.pid`. */
  static async launch(): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), 'podlab-chromium-'));
    const proc = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let kill = () => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`Chromium did not start in 30 s: ${err}`)), 30_000);
        proc.stderr!.on('data', (c: Buffer) => {
          err += c.toString();
          const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        proc.once('exit', (code) => reject(new Error(`Chromium exited (${code}): ${err}`)));
        proc.once('error', reject);
      });
      const ws = new WebSocket(endpoint, { perMessageDeflate: false });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      kill = () => {};
      return new Browser(proc, ws, profile);
    } finally {
      kill();
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** The next event `method` (of `sessionId`) that `match` accepts. */
  waitEvent(method: string, sessionId: string | undefined, match: (p: Record<string, unknown>) => boolean = () => true, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((x) => x !== l);
        reject(new Error(`no ${method} in ${timeoutMs} ms`));
      }, timeoutMs);
      const l = (m: Message) => {
        if (m.method !== method || (sessionId && m.sessionId !== sessionId) || !match(m.params ?? {})) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((x) => x !== l);
        resolve(m.params ?? {});
      };
      this.listeners.push(l);
    });
  }

  /** A new tab. */
  async newPage(): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    await this.send('Page.enable', {}, sessionId);
    await this.send('Network.enable', {}, sessionId);
    await this.send('Runtime.enable', {}, sessionId);
    return new Page(this, sessionId);
  }

  /** Kills the browser and its helpers (its process group) by pid, and removes its profile. Safe to call twice. */
  close(): void {
    try {
      this.ws.terminate();
    } catch {
      /* closed */
    }
    try {
      process.kill(-this.proc.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(
    private readonly b: Browser,
    readonly sessionId: string,
  ) {}

  /** Navigates and waits for the load event; the HTTP status of the document. */
  async goto(url: string): Promise<number> {
    const response = this.b.waitEvent('Network.responseReceived', this.sessionId, (p) => p.type === 'Document');
    const loaded = this.b.waitEvent('Page.loadEventFired', this.sessionId);
    await this.b.send('Page.navigate', { url }, this.sessionId);
    const r = (await response) as { response: { status: number } };
    await loaded;
    return r.response.status;
  }

  /** The value of an expression evaluated in the page (awaited when it is a promise). */
  async eval<T>(expression: string): Promise<T> {
    const r = (await this.b.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, this.sessionId)) as { result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** Waits until an expression is true in the page. */
  async waitFor(expression: string, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await this.eval<boolean>(`!!(${expression})`))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A real mouse click (pressed and released) at the middle of the element an expression returns. */
  async click(elementExpression: string): Promise<void> {
    const box = await this.eval<{ x: number; y: number } | null>(`(() => { const el = ${elementExpression}; if (!el) return null; el.scrollIntoView({ block: 'center', inline: 'center' }); const r = el.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`);
    if (!box) throw new Error(`nothing to click: ${elementExpression}`);
    for (const type of ['mousePressed', 'mouseReleased']) await this.b.send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 }, this.sessionId);
  }

  /** A PNG of the whole page. */
  async screenshot(): Promise<Buffer> {
    const { data } = (await this.b.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, this.sessionId)) as { data: string };
    return Buffer.from(data, 'base64');
  }
}
