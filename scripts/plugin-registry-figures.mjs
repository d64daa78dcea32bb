// Figures of plugins pulled from a registry (docs/benchmarks.md): the time
// from `kube-mcp serve` starting to kube-core serving, from the plugin
// folder and from the local OCI registry (pull + signature check + compile),
// cold and warm, measured in one run on one machine.
//
//   eval "$(tests/env/up)" && node scripts/plugin-registry-figures.mjs [runs]
//
// Each case starts a fresh server `runs` times and reports the median;
// ratios are to the cold folder load, measured in the same run.
//   folder, cold       the file in --plugins-dir, empty compiled-code cache
//   registry tag, cold signed tag: resolve, fetch the signature, verify,
//                      pull the 0.3 MB component, compile (empty store and cache)
//   registry pin, cold pinned digest: no signature to fetch
//   folder, warm       compiled code in the cache
//   registry tag, warm store and cache filled: resolve and verify over the
//                      network, no pull, no compile
//   registry pin, warm from the store alone, no network at all
// The server's own split of a registry load (fetch_ms, load_ms) comes from
// its log line.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { binary, builtPlugin, startServer } from '../tests/e2e/lib/server.mjs';

const run = promisify(execFile);
const runs = Number(process.argv[2] ?? 5);
const say = (m) => process.stderr.write(`${m}\n`);
const registry = process.env.OCI_REGISTRY;
if (!registry) throw new Error('OCI_REGISTRY is not set: eval "$(tests/env/up)" first');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-registry-figures-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function kubeMcp(...args) {
  return (await run(binary, ['plugin', ...args], { cwd: work })).stdout.trim();
}

/** Milliseconds from spawn to the log line `ready` matches, and that line. */
async function timeToServe({ plugins, config, cacheDir, ready }) {
  const started = performance.now();
  const server = await startServer({ plugins, cacheDir, args: ['--no-auth', ...(config ? ['--config', config] : [])] });
  try {
    const line = await server.waitForLog(ready, 120_000);
    const listening = server.log.find((e) => e.message === 'listening');
    return { ms: performance.now() - started, line, inServer: Date.parse(line.timestamp) - Date.parse(listening.timestamp) };
  } finally {
    await server.stop();
  }
}

try {
  const plugin = builtPlugin('kube-core');
  await kubeMcp('keygen', '--output', path.join(work, 'release'));
  const repo = `figures-${Date.now()}`;
  const pinned = await kubeMcp('push', plugin, `oci://${registry}/${repo}/kube-core:1`);
  await kubeMcp('sign', pinned, '--key', path.join(work, 'release.key'));
  const folder = path.join(work, 'plugins');
  fs.mkdirSync(folder);
  fs.copyFileSync(plugin, path.join(folder, 'kube-core.wasm'));
  const config = (ref, store) => {
    const file = path.join(work, `config-${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(file, `plugins:
  registry: {store: ${store}}
  trust:
    keys: [{name: release, publicKeyFile: ${path.join(work, 'release.pub')}, plugins: [kube-core]}]
  sources: [{name: kube-core, ref: "${ref}"}]
`);
    return file;
  };
  const fromFolder = (e) => e.message === 'plugins loaded';
  const fromRegistry = (e) => e.message === 'plugin from registry is serving';
  const tag = `oci://${registry}/${repo}/kube-core:1`;

  const cases = [
    ['folder, cold', () => ({ plugins: folder, ready: fromFolder }), 'cold'],
    ['registry tag, cold', () => ({ config: config(tag, path.join(work, `store-${Math.random()}`)), ready: fromRegistry }), 'cold'],
    ['registry pin, cold', () => ({ config: config(pinned, path.join(work, `store-${Math.random()}`)), ready: fromRegistry }), 'cold'],
    ['folder, warm', () => ({ plugins: folder, ready: fromFolder }), 'warm'],
    ['registry tag, warm', () => ({ config: config(tag, path.join(work, 'store-warm')), ready: fromRegistry }), 'warm'],
    ['registry pin, warm', () => ({ config: config(pinned, path.join(work, 'store-warm')), ready: fromRegistry }), 'warm'],
  ];
  const warmCache = path.join(work, 'cache-warm');
  // Fill the warm store and cache once.
  await timeToServe({ config: config(tag, path.join(work, 'store-warm')), cacheDir: warmCache, ready: fromRegistry });

  const results = [];
  for (const [name, make, temperature] of cases) {
    const times = [];
    const inServer = [];
    let split = [];
    for (let i = 0; i < runs; i++) {
      const cacheDir = temperature === 'warm' ? warmCache : fs.mkdtempSync(path.join(work, 'cache-'));
      const { ms, line, inServer: own } = await timeToServe({ ...make(), cacheDir });
      times.push(ms);
      inServer.push(own);
      if (line.fetch_ms !== undefined) split.push([line.fetch_ms, line.load_ms]);
    }
    const row = { name, ms: median(times), own: median(inServer), split: split.length ? [median(split.map((s) => s[0])), median(split.map((s) => s[1]))] : null };
    results.push(row);
    say(`  ${name.padEnd(20)} ${row.ms.toFixed(0)} ms`);
  }
  const base = results[0].ms;
  console.log(`kube-core (${(fs.statSync(plugin).size / 1024).toFixed(0)} KiB), median of ${runs} server starts, ms from spawn to serving:\n`);
  console.log('| case | ms | × folder cold | listening → serving ms | server: fetch + verify ms | server: compile + load ms |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.ms.toFixed(0)} | ${(r.ms / base).toFixed(2)} | ${r.own} | ${r.split ? r.split[0] : '–'} | ${r.split ? r.split[1] : '–'} |`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
