// Figures of overload (docs/benchmarks.md), all in one run against one
// server whose in-flight limit is LIMIT (16):
// - unloaded: LIMIT closed-loop clients (the limit, never beyond it);
// - 4x: 4·LIMIT clients; the excess gets 503 + Retry-After at once and
//   waits the second it asks for before trying again, as a client should;
// - 16x: the same with 16·LIMIT clients, for the memory bound.
// Reported: the admitted calls' p50/p99 and their ratio to the unloaded
// ones, how fast the busy answer comes, and the server's RSS (peak of
// samples every 250 ms).
//
// Run from the repository after `make build`:
//   eval "$(tests/env/up)" && node scripts/overload-figures.mjs
import { builtPlugin, pluginsDir, startServer } from '../tests/e2e/lib/server.mjs';
import { post } from '../tests/e2e/lib/stateless.mjs';

const LIMIT = Number(process.env.LIMIT ?? 16);
const SECONDS = Number(process.env.PHASE_SECONDS ?? 20);
const log = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };

const server = await startServer({
  plugins: pluginsDir(builtPlugin('conformance')),
  args: ['--no-auth', '--stateless', '--metrics-listen', '127.0.0.1:0', '--max-in-flight', String(LIMIT),
    '--max-calls-per-caller', '1024', '--max-calls-per-plugin', '1024'],
});
const { addr } = await server.waitForLog((e) => e.message === 'serving metrics');
const rss = async () => Number((await (await fetch(`http://${addr}/metrics`)).text()).match(/^process_resident_memory_bytes (\S+)$/m)[1]);

// A call that does real work in the plugin: a fresh instance, a JSON answer.
const call = { name: 'test_simple_text', arguments: {} };

async function phase(name, clients) {
  const admitted = [];
  const shed = [];
  let peak = await rss();
  let stop = false;
  const sampler = (async () => { while (!stop) { peak = Math.max(peak, await rss()); await sleep(250); } })();
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < end) {
      const started = performance.now();
      const answer = await post(server.url, 'tools/call', call, { capabilities: {} });
      const ms = performance.now() - started;
      if (answer.status === 200 && answer.body.result && !answer.body.result.isError) admitted.push(ms);
      else if (answer.status === 503) { shed.push(ms); await sleep(Number(answer.retryAfter) * 1000); } else throw new Error(`unexpected answer: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }));
  stop = true;
  await sampler;
  const figures = {
    name, clients, admitted: admitted.length, shed: shed.length,
    p50: pct(admitted, 50), p99: pct(admitted, 99), shedP50: shed.length ? pct(shed, 50) : undefined, shedP99: shed.length ? pct(shed, 99) : undefined, peak,
  };
  log(`    ${name}: ${clients} clients, ${admitted.length} admitted (p50 ${figures.p50.toFixed(1)} ms, p99 ${figures.p99.toFixed(1)} ms), ${shed.length} shed, peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB`);
  return figures;
}

try {
  log(`==> overload figures: in-flight limit ${LIMIT}, ${SECONDS} s per phase`);
  await phase('warm-up', LIMIT);
  const idle = await rss();
  const base = await phase('at the limit', LIMIT);
  const four = await phase('4x the limit', 4 * LIMIT);
  const sixteen = await phase('16x the limit', 16 * LIMIT);
  const f = (v) => (v === undefined ? '–' : `${v.toFixed(1)} ms`);
  const m = (v) => `${(v / 2 ** 20).toFixed(1)} MiB`;
  console.log(`| load | clients | admitted calls | admitted p50 | admitted p99 | p99 ratio | busy answers | busy p50 | busy p99 | peak RSS |
|---|---|---|---|---|---|---|---|---|---|
${[base, four, sixteen].map((p) => `| ${p.name} | ${p.clients} | ${p.admitted} | ${f(p.p50)} | ${f(p.p99)} | ${(p.p99 / base.p99).toFixed(2)}× | ${p.shed} | ${f(p.shedP50)} | ${f(p.shedP99)} | ${m(p.peak)} |`).join('\n')}

RSS idle after warm-up: ${m(idle)}.`);
} finally {
  await server.stop();
}
