// Figures of tracing's cost (docs/benchmarks.md), all in one run: the same
// call against a server without tracing (the baseline) and one sending its
// spans to a real OpenTelemetry Collector (tests/env/otelcol), alternating
// rounds of CLIENTS closed-loop clients for PHASE_SECONDS each.
//
// Run from the repository after `make build`, with the environment up:
//   eval "$(tests/env/up)" && node scripts/trace-figures.mjs
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startCollector, startSink } from '../tests/e2e/lib/otel.mjs';
import { builtPlugin, pluginsDir, startServer } from '../tests/e2e/lib/server.mjs';
import { post } from '../tests/e2e/lib/stateless.mjs';

const CLIENTS = Number(process.env.CLIENTS ?? 8);
const SECONDS = Number(process.env.PHASE_SECONDS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const log = (line) => process.stderr.write(`${line}\n`);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set: eval "$(tests/env/up)" first`);
  return process.env[name];
};

const call = { name: 'list_pods', arguments: { namespace: 'demo' } };
const config = (extra) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-trace-figures-')), 'config.yaml');
  fs.writeFileSync(file, `${extra}
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [pods], namespaces: [demo]}
`);
  return file;
};

async function phase(server) {
  const latencies = [];
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < end) {
      const started = performance.now();
      const answer = await post(server.url, 'tools/call', call, { capabilities: {} });
      if (answer.status !== 200 || answer.body.result?.isError) throw new Error(JSON.stringify(answer.body));
      latencies.push(performance.now() - started);
    }
  }));
  return latencies;
}

const sink = await startSink();
const collector = await startCollector(sink.port);
const plugins = pluginsDir(builtPlugin('kube-core'));
const args = (file) => ['--no-auth', '--stateless', '--kubeconfig', env('KUBECONFIG'), '--config', file];
const off = await startServer({ plugins, args: args(config('')) });
const on = await startServer({ plugins, args: args(config(`tracing: {otlpEndpoint: "${collector.url}"}`)) });
try {
  log(`==> tracing's cost: list_pods, ${CLIENTS} clients, ${ROUNDS} alternating rounds of ${SECONDS} s`);
  await phase(off); await phase(on); // warm-up
  const results = { off: [], on: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, server] of [['off', off], ['on', on]]) {
      const l = await phase(server);
      results[name].push(...l);
      log(`    round ${round + 1}, tracing ${name}: ${l.length} calls, p50 ${pct(l, 50).toFixed(1)} ms`);
    }
  }
  await new Promise((r) => setTimeout(r, 7000)); // the last batch
  const row = (name, l) => `| tracing ${name} | ${l.length} | ${pct(l, 50).toFixed(1)} ms | ${pct(l, 99).toFixed(1)} ms | ${(pct(l, 50) / pct(results.off, 50)).toFixed(2)}× | ${(pct(l, 99) / pct(results.off, 99)).toFixed(2)}× |`;
  console.log(`| server | calls | p50 | p99 | p50 ratio | p99 ratio |
|---|---|---|---|---|---|
${row('off', results.off)}
${row('on', results.on)}

${sink.spans.length} spans reached the collector's sink.`);
} finally {
  await off.stop();
  await on.stop();
  collector.stop();
  await sink.close();
}
