// Figures of resources_describe (docs/benchmarks.md): the answer's size and
// its latency, for a pod and for a node running 100 pods, against `kubectl
// describe` of the same objects in the same run.
//
// Run from the repository after `make build`, with the environment up:
//   eval "$(tests/env/up)" && node scripts/describe-figures.mjs
// It puts 100 pods on the tainted node kwok-drain-1 (namespace
// describe-bench) and removes them at the end.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { createRequire } from 'node:module';

import { builtPlugin, pluginsDir, startServer } from '../tests/e2e/lib/server.mjs';

// The MCP SDK the end-to-end tests install (tests/e2e/node_modules).
const e2e = createRequire(new URL('../tests/e2e/package.json', import.meta.url));
const { Client } = await import(e2e.resolve('@modelcontextprotocol/sdk/client/index.js'));
const { StreamableHTTPClientTransport } = await import(e2e.resolve('@modelcontextprotocol/sdk/client/streamableHttp.js'));

const kubeconfig = process.env.KUBECONFIG;
if (!kubeconfig) throw new Error('KUBECONFIG is not set: eval "$(tests/env/up)" first');
const kubectl = (...args) => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const log = (line) => process.stderr.write(`${line}\n`);

const NODE = 'kwok-drain-1';
const NS = 'describe-bench';
const PODS = 100;
const ROUNDS = Number(process.env.ROUNDS ?? 30);

log(`==> ${PODS} pods on ${NODE} (namespace ${NS})`);
kubectl('create', 'namespace', NS);
// Pods wait for the namespace's default ServiceAccount, made by a controller.
for (let i = 0; ; i++) {
  try { kubectl('-n', NS, 'get', 'serviceaccount', 'default'); break; } catch (e) { if (i > 60) throw e; }
  await new Promise((r) => setTimeout(r, 500));
}
const pods = [];
for (let i = 0; i < PODS; i++) {
  pods.push(`apiVersion: v1
kind: Pod
metadata: {name: bench-${i}, namespace: ${NS}, labels: {app: bench}}
spec:
  nodeName: ${NODE}
  automountServiceAccountToken: false
  tolerations: [{key: kube-mcp.io/pool, operator: Exists, effect: NoSchedule}]
  containers: [{name: app, image: "ghcr.io/example/bench:1", resources: {requests: {cpu: 10m, memory: 16Mi}}}]`);
}
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'describe-bench-')), 'pods.yaml');
fs.writeFileSync(file, pods.join('\n---\n'));
// The namespace's default ServiceAccount appears after the namespace.
kubectl('apply', '-f', file, '--server-side');
kubectl('-n', NS, 'wait', '--for', 'condition=Ready', 'pod', '--all', '--timeout', '180s');

const config = path.join(path.dirname(file), 'config.yaml');
fs.writeFileSync(config, 'plugins:\n  grants:\n    kube-core:\n      - {verbs: [get, list], apiGroups: ["*"], resources: ["*"], namespaces: ["*"]}\n');
const server = await startServer({ plugins: pluginsDir(builtPlugin('kube-core')), args: ['--no-auth', '--kubeconfig', kubeconfig, '--config', config] });
const client = new Client({ name: 'figures', version: '1' });
await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));

const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function measure(label, args, kubectlArgs) {
  let text = '';
  const ours = [];
  const theirs = [];
  let kubectlText = '';
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = performance.now();
    const result = await client.callTool({ name: 'resources_describe', arguments: args });
    ours.push(performance.now() - t0);
    text = result.content[0].text;
    t0 = performance.now();
    kubectlText = kubectl('describe', ...kubectlArgs);
    theirs.push(performance.now() - t0);
  }
  const row = {
    object: label,
    resources_describe_p50_ms: +p50(ours).toFixed(1),
    kubectl_describe_p50_ms: +p50(theirs).toFixed(1),
    time_ratio: +(p50(ours) / p50(theirs)).toFixed(2),
    resources_describe_bytes: Buffer.byteLength(text),
    kubectl_describe_bytes: Buffer.byteLength(kubectlText),
    size_ratio: +(Buffer.byteLength(text) / Buffer.byteLength(kubectlText)).toFixed(2),
  };
  log(`  ${label}: ${JSON.stringify(row)}`);
  return row;
}

try {
  log(`==> ${ROUNDS} rounds each, alternating`);
  const rows = [
    await measure('pod ops/crashy', { apiVersion: 'v1', kind: 'Pod', namespace: 'ops', name: 'crashy' }, ['pod', '-n', 'ops', 'crashy']),
    await measure(`node ${NODE} (${PODS}+ pods)`, { apiVersion: 'v1', kind: 'Node', name: NODE }, ['node', NODE]),
  ];
  console.log(JSON.stringify(rows, null, 2));
} finally {
  await client.close();
  await server.stop();
  kubectl('delete', 'namespace', NS, '--wait=false');
}
