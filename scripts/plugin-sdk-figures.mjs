// Figures of plugins written in Rust, TypeScript and Python
// (docs/benchmarks.md): the same pod-list tool made by `kube-mcp plugin
// new` in each language, measured in one run on one machine.
//
//   eval "$(tests/env/up)" && node scripts/plugin-sdk-figures.mjs [calls]
//
// Per language: build time (Rust with its dependencies already compiled
// in target/sdk-e2e), component size, first load (compile, cache off) and
// cached load (both `kube-mcp plugin validate`, so they include process
// start; peak RSS from /usr/bin/time), then against one server: an
// instantiate + no-op call (arguments refused by the SDK before any host
// call) and the pod list (3 fixture pods), p50 and p90 over `calls` calls,
// with ratios to Rust. Then the server's peak RSS while it compiles all
// three at once (one at a time, by design) next to one alone.

import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';


import { binary, startServer } from '../tests/e2e/lib/server.mjs';
import { post } from '../tests/e2e/lib/stateless.mjs';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..');
const calls = Number(process.argv[2] ?? 50);
const say = (m) => process.stderr.write(`${m}\n`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-sdk-figures-'));

const LANGUAGES = [
  { lang: 'rust', build: [['make']] },
  { lang: 'typescript', build: [['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error'], ['npm', 'run', 'build']] },
  { lang: 'python', build: [['./build.sh']] },
];

/** Seconds and peak RSS (MiB) of one command, from GNU time. */
async function timed(command, args, options = {}) {
  const { stderr } = await run('/usr/bin/time', ['-f', '@@ %e %M', command, ...args], { maxBuffer: 64 << 20, ...options });
  const [, seconds, kib] = stderr.match(/@@ ([\d.]+) (\d+)/);
  return { seconds: Number(seconds), mib: Number(kib) / 1024 };
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

const rows = {};
const cache = path.join(work, 'cache');
try {
  for (const { lang, build } of LANGUAGES) {
    const dir = path.join(work, lang);
    const name = `fig-${lang}`;
    await run(binary, ['plugin', 'new', name, '--lang', lang, '--dir', dir]);
    say(`==> ${lang}: building`);
    // npm install is the network's, not the build's: timed apart.
    let seconds = 0;
    for (const [command, ...args] of build) {
      const t = await timed(command, args, { cwd: dir, env: { ...process.env, CARGO_TARGET_DIR: path.join(repo, 'target/sdk-e2e') } });
      if (!(command === 'npm' && args[0] === 'install')) seconds += t.seconds;
    }
    const file = path.join(dir, `${name}.wasm`);
    say(`==> ${lang}: loading`);
    const cold = await timed(binary, ['plugin', 'validate', '--plugin-cache-dir', 'none', file]);
    await run(binary, ['plugin', 'compile', '--plugin-cache-dir', cache, file]);
    const warm = await timed(binary, ['plugin', 'validate', '--plugin-cache-dir', cache, file]);
    rows[lang] = { name, file, build: seconds, bytes: fs.statSync(file).size, cold, warm };
  }

  say('==> one server, the three plugins');
  const plugins = fs.mkdtempSync(path.join(work, 'plugins-'));
  for (const { lang } of LANGUAGES) fs.copyFileSync(rows[lang].file, path.join(plugins, path.basename(rows[lang].file)));
  const config = path.join(work, 'config.yaml');
  fs.writeFileSync(config, `plugins:\n  grants:\n${LANGUAGES.map(({ lang }) => `    fig-${lang}:\n      - {verbs: [list], apiGroups: [""], resources: [pods], namespaces: [demo]}`).join('\n')}\n  overrides:\n    fig-typescript: {limits: {memory: 256MiB}}\n    fig-python: {limits: {memory: 256MiB}}\n`);
  const server = await startServer({ plugins, args: ['--no-auth', '--kubeconfig', process.env.KUBECONFIG, '--config', config, '--plugin-cache-dir', cache] });
  try {
    for (const { lang } of LANGUAGES) {
      const tool = `fig_${lang}_pods`;
      const sample = async (args) => {
        const ms = [];
        for (let i = 0; i < calls + 5; i++) {
          const t0 = performance.now();
          // One stateless (2026-07-28) POST per call: the SDK client's
          // Streamable HTTP adds ~40 ms of its own here, which would hide
          // the differences measured.
          const { body } = await post(server.url, 'tools/call', { name: tool, arguments: args });
          if (!body.result) throw new Error(JSON.stringify(body));
          if (i >= 5) ms.push(performance.now() - t0);
        }
        return ms;
      };
      say(`==> ${lang}: ${calls} no-op calls, ${calls} pod lists`);
      rows[lang].noop = await sample({ namespace: 7 });
      rows[lang].list = await sample({ namespace: 'demo', labelSelector: 'app in (web,api)' });
    }
  } finally {
    await server.stop();
  }

  say('==> peak RSS of a server compiling one plugin, and all three');
  const peak = async (files) => {
    const dir = fs.mkdtempSync(path.join(work, 'peak-'));
    for (const f of files) fs.copyFileSync(f, path.join(dir, path.basename(f)));
    const child = spawn(binary, ['serve', '--no-auth', '--port', '0', '--plugins-dir', dir,
      '--plugin-cache-dir', 'none', '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    await new Promise((resolve) => child.stderr.on('data', (c) => { err += c; if (err.includes('"plugins loaded"')) resolve(); }));
    // The kernel's high-water mark of the process's resident memory.
    const hwm = Number(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/)[1]);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
    return hwm / 1024;
  };
  const one = await peak([rows.typescript.file]);
  const all = await peak(LANGUAGES.map(({ lang }) => rows[lang].file));

  const rust = rows.rust;
  const f = (x, d = 1) => x.toFixed(d);
  console.log(`| | Rust | TypeScript | Python |`);
  console.log(`|---|---|---|---|`);
  const line = (label, fn) => console.log(`| ${label} | ${LANGUAGES.map(({ lang }) => fn(rows[lang])).join(' | ')} |`);
  line('build (s)', (r) => f(r.build));
  line('component (MiB)', (r) => f(r.bytes / 2 ** 20, 2));
  line('first load: compile (s)', (r) => f(r.cold.seconds, 2));
  line('first load: peak RSS (MiB)', (r) => f(r.cold.mib, 0));
  line('cached load (s)', (r) => f(r.warm.seconds, 2));
  line('cached load: peak RSS (MiB)', (r) => f(r.warm.mib, 0));
  line('no-op call p50 (ms)', (r) => `${f(quantile(r.noop, 0.5), 2)} (×${f(quantile(r.noop, 0.5) / quantile(rust.noop, 0.5))})`);
  line('pod list p50 (ms)', (r) => `${f(quantile(r.list, 0.5), 2)} (×${f(quantile(r.list, 0.5) / quantile(rust.list, 0.5))})`);
  line('pod list p90 (ms)', (r) => f(quantile(r.list, 0.9), 2));
  console.log(`\nserver peak RSS compiling (cache off): TypeScript alone ${f(one, 0)} MiB; all three ${f(all, 0)} MiB`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
