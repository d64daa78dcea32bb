// Figures of helm_list (docs/benchmarks.md): its latency and its answer's
// size over 50 releases, against `helm list` (Helm 3 and Helm 4) of the
// same releases in the same run.
//
// Run from the repository after `make build`, with the environment up:
//   eval "$(tests/env/up)" && node scripts/helm-figures.mjs
// It installs 50 releases of the test chart in namespace helm-bench (Helm
// 3 and Helm 4 alternately) and removes the namespace at the end.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

import { builtPlugin, pluginsDir, startServer } from '../tests/e2e/lib/server.mjs';

const e2e = createRequire(new URL('../tests/e2e/package.json', import.meta.url));
const { Client } = await import(e2e.resolve('@modelcontextprotocol/sdk/client/index.js'));
const { StreamableHTTPClientTransport } = await import(e2e.resolve('@modelcontextprotocol/sdk/client/streamableHttp.js'));

const kubeconfig = process.env.KUBECONFIG;
if (!kubeconfig) throw new Error('KUBECONFIG is not set: eval "$(tests/env/up)" first');
const run = promisify(execFile);
const log = (line) => process.stderr.write(`${line}\n`);
const chart = new URL('../tests/e2e/fixtures/charts/shelf', import.meta.url).pathname;

const NS = 'helm-bench';
const RELEASES = Number(process.env.RELEASES ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 30);

log(`==> ${RELEASES} releases in namespace ${NS}`);
execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'create', 'namespace', NS]);
for (let i = 0; i < RELEASES; i++) {
  const binary = i % 2 ? 'helm4' : 'helm';
  await run(binary, ['install', `bench-${i}`, chart, '-n', NS, '--kubeconfig', kubeconfig]);
  if ((i + 1) % 10 === 0) log(`  ${i + 1}/${RELEASES} installed`);
}

const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'helm-bench-')), 'config.yaml');
fs.writeFileSync(config, `plugins:
  grants:
    helm:
      - {verbs: [list], apiGroups: [""], resources: [secrets], namespaces: ["*"], labelSelector: owner=helm}
      - {verbs: [get], apiGroups: [""], resources: [secrets], namespaces: ["*"], resourceNames: ["sh.helm.release.v1.*"]}
`);
const server = await startServer({ plugins: pluginsDir(builtPlugin('helm')), args: ['--no-auth', '--kubeconfig', kubeconfig, '--config', config] });
const client = new Client({ name: 'figures', version: '1' });
await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));

const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  log(`==> ${ROUNDS} rounds each, alternating`);
  const times = { helm_list: [], 'helm list (v3)': [], 'helm list (v4)': [] };
  const bytes = {};
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = performance.now();
    const result = await client.callTool({ name: 'helm_list', arguments: { namespace: NS } });
    times.helm_list.push(performance.now() - t0);
    if (result.structuredContent.rows.length !== RELEASES) throw new Error(`helm_list shows ${result.structuredContent.rows.length} releases`);
    bytes.helm_list = Buffer.byteLength(result.content[0].text);
    for (const [label, binary] of [['helm list (v3)', 'helm'], ['helm list (v4)', 'helm4']]) {
      t0 = performance.now();
      const { stdout } = await run(binary, ['list', '-n', NS, '--kubeconfig', kubeconfig]);
      times[label].push(performance.now() - t0);
      bytes[label] = Buffer.byteLength(stdout);
    }
  }
  const base = p50(times['helm list (v3)']);
  const rows = Object.entries(times).map(([tool, xs]) => ({
    tool,
    p50_ms: +p50(xs).toFixed(1),
    ratio_to_helm3: +(p50(xs) / base).toFixed(2),
    bytes: bytes[tool],
  }));
  for (const row of rows) log(`  ${JSON.stringify(row)}`);
  console.log(JSON.stringify(rows, null, 2));
} finally {
  await client.close();
  await server.stop();
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'delete', 'namespace', NS, '--wait=false']);
}
