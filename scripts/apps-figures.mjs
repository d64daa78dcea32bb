// Figures of MCP Apps (docs/benchmarks.md), all in one run against one
// server: what declaring the extension costs a client (`tools/list` bytes
// and latency, with and without it, in alternating rounds), what reading a
// view costs next to a plain tool call, and how long Chromium takes from
// the tool's answer to a rendered table through an AppBridge host.
//
// Run from the repository after `make build`, with the environment up:
//   eval "$(tests/env/up)" && node scripts/apps-figures.mjs
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Client, StreamableHTTPClientTransport } from '../tests/e2e/node_modules/@modelcontextprotocol/client/dist/index.mjs';
import { startAppsHost } from '../tests/e2e/lib/apps-host.mjs';
import { builtPlugin, pluginsDir, startServer } from '../tests/e2e/lib/server.mjs';
import { post } from '../tests/e2e/lib/stateless.mjs';

const SECONDS = Number(process.env.PHASE_SECONDS ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const RENDERS = Number(process.env.RENDERS ?? 10);
const UI = 'io.modelcontextprotocol/ui';
const APPS = { extensions: { [UI]: { mimeTypes: ['text/html;profile=mcp-app'] } } };
const log = (line) => process.stderr.write(`${line}\n`);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set: eval "$(tests/env/up)" first`);
  return process.env[name];
};

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-apps-figures-')), 'config.yaml');
fs.writeFileSync(file, `
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [pods, pods/log, events], namespaces: [demo]}
`);

/** Closed-loop requests of `method` for SECONDS; latencies and the last answer's size. */
async function phase(server, method, params, capabilities) {
  const latencies = [];
  let bytes = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    const started = performance.now();
    const answer = await post(server.url, method, params, { capabilities });
    if (answer.status !== 200 || answer.body.error || answer.body.result?.isError) throw new Error(JSON.stringify(answer.body));
    latencies.push(performance.now() - started);
    bytes = JSON.stringify(answer.body.result).length;
  }
  return { latencies, bytes };
}

const server = await startServer({
  plugins: pluginsDir(builtPlugin('kube-core')),
  args: ['--no-auth', '--kubeconfig', env('KUBECONFIG'), '--config', file],
});
try {
  const cases = [
    ['tools/list, without the extension', 'tools/list', {}, {}],
    ['tools/list, with the extension', 'tools/list', {}, APPS],
    ['resources/read of the view', 'resources/read', { uri: 'ui://kube-core/resources' }, APPS],
    ['tools/call list_pods (baseline)', 'tools/call', { name: 'list_pods', arguments: { namespace: 'demo' } }, APPS],
  ];
  log(`==> MCP Apps over the protocol: ${ROUNDS} alternating rounds of ${SECONDS} s each, one client`);
  const results = cases.map(() => ({ latencies: [], bytes: 0 }));
  for (const c of cases) await phase(server, c[1], c[2], c[3]); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      const r = await phase(server, c[1], c[2], c[3]);
      results[i].latencies.push(...r.latencies);
      results[i].bytes = r.bytes;
      log(`    round ${round + 1}, ${c[0]}: ${r.latencies.length} requests, p50 ${pct(r.latencies, 50).toFixed(2)} ms`);
    }
  }
  const base = pct(results[0].latencies, 50);
  const rows = cases.map((c, i) => {
    const l = results[i].latencies;
    return `| ${c[0]} | ${results[i].bytes.toLocaleString('en')} | ${l.length} | ${pct(l, 50).toFixed(2)} ms | ${pct(l, 99).toFixed(2)} ms | ${(pct(l, 50) / base).toFixed(2)}× |`;
  });

  log(`==> the view in Chromium: ${RENDERS} renders of list_pods, from the tool's answer to the table`);
  const client = new Client({ name: 'apps-figures', version: '1' }, { capabilities: APPS });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  const tools = (await client.listTools()).tools;
  const view = await client.readResource({ uri: 'ui://kube-core/resources' });
  const host = await startAppsHost(client);
  const renders = [];
  try {
    for (let i = 0; i < RENDERS; i++) {
      const input = { namespace: 'demo' };
      const result = await client.callTool({ name: 'list_pods', arguments: input });
      const started = performance.now();
      const { page, frame } = await host.render({ tools, tool: 'list_pods', view, input, result });
      await frame.waitForFunction((n) => document.querySelectorAll('#table tbody tr').length === n, result.structuredContent.rows.length);
      renders.push(performance.now() - started);
      await page.close();
    }
  } finally {
    await host.close();
    await client.close();
  }
  console.log(`| request | answer bytes | requests | p50 | p99 | p50 ratio to tools/list without |
|---|---|---|---|---|---|
${rows.join('\n')}

The view: ${view.contents[0].text.length.toLocaleString('en')} bytes. From the tool's answer to a rendered table in Chromium (a new page, the host page, the sandbox proxy, the view, ui/initialize and the rows): p50 ${pct(renders, 50).toFixed(0)} ms, slowest ${Math.max(...renders).toFixed(0)} ms over ${RENDERS} renders.`);
} finally {
  await server.stop();
}
