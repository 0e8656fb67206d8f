// The load client of scripts/bench-ingress.ts, run inside a lab namespace: `concurrency` loops of
// HTTP GETs (each on a new connection, as the http-echo server closes it) for `seconds`, with an
// optional Host header. Prints one JSON line: requests answered 200, errors, seconds, req/s, p50/p99 ms.
//   node scripts/bench-ingress-load.mjs URL [--host H] [--concurrency N] [--seconds S]
import http from 'node:http';

const [url, ...rest] = process.argv.slice(2);
const opt = { host: undefined, concurrency: 16, seconds: 3 };
for (let i = 0; i < rest.length; i += 2) opt[rest[i].replace(/^--/, '')] = rest[i + 1];
const agent = new http.Agent({ keepAlive: false });
const end = Date.now() + Number(opt.seconds) * 1000;
let ok = 0;
let errors = 0;
const lat = [];
const one = () =>
  new Promise((resolve) => {
    const t = process.hrtime.bigint();
    const req = http.get(url, { agent, headers: opt.host ? { host: opt.host } : {} }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) ok++;
        else errors++;
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
  });
const start = Date.now();
await Promise.all(Array.from({ length: Number(opt.concurrency) }, async () => {
  while (Date.now() < end) await one();
}));
const seconds = (Date.now() - start) / 1000;
lat.sort((a, b) => a - b);
const q = (p) => (lat.length ? Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] * 100) / 100 : null);
process.stdout.write(JSON.stringify({ ok, errors, seconds, rps: Math.round(ok / seconds), p50: q(0.5), p99: q(0.99) }) + '\n');
