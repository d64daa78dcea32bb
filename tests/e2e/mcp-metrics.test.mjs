// Prometheus metrics on their own listener, never on the public port.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

let server;
after(() => server?.stop());

/** The value of the sample `name{labels}` in a text exposition. */
function sample(text, name, labels = {}) {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const inside = line.slice(name.length).match(/^\{([^}]*)\}/)?.[1] ?? '';
    if (wanted.every((w) => inside.split(',').includes(w))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

test('calls, outcomes, latency, HTTP requests, sessions and plugin loads are exported', async () => {
  server = await startServer({
    plugins: pluginsDir(builtPlugin('conformance'), builtPlugin('hostile', 'test-plugins')),
    args: ['--no-auth', '--metrics-listen', '127.0.0.1:0'],
  });
  const { addr } = await server.waitForLog((e) => e.message === 'serving metrics');
  const client = new Client({ name: 'kube-mcp-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  for (let i = 0; i < 3; i++) await client.callTool({ name: 'test_simple_text', arguments: {} });
  await client.callTool({ name: 'test_error_handling', arguments: {} });
  await client.callTool({ name: 'panic', arguments: {} });

  const response = await fetch(`http://${addr}/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.equal(sample(text, 'kube_mcp_tool_calls_total', { tool: 'test_simple_text', plugin: 'conformance', outcome: 'ok' }), 3, text);
  assert.equal(sample(text, 'kube_mcp_tool_calls_total', { tool: 'test_error_handling', outcome: 'tool_error' }), 1);
  assert.equal(sample(text, 'kube_mcp_tool_calls_total', { tool: 'panic', plugin: 'hostile', outcome: 'failed' }), 1);
  assert.equal(sample(text, 'kube_mcp_tool_call_duration_seconds_count', { tool: 'test_simple_text' }), 3);
  assert.ok(sample(text, 'kube_mcp_http_requests_total', { route: '/mcp', method: 'POST', status: 200 }) >= 6, text);
  assert.equal(sample(text, 'kube_mcp_sessions'), 1);
  assert.equal(sample(text, 'kube_mcp_plugins'), 2);
  assert.equal(sample(text, 'kube_mcp_plugin_loads_total'), 2);
  assert.equal(sample(text, 'kube_mcp_plugin_load_failures_total'), 0);
  // What the process holds (issue 28's soak reads these to find leaks).
  assert.equal(sample(text, 'kube_mcp_in_flight_requests'), 0, 'no request is running while this one scrapes');
  assert.ok(sample(text, 'kube_mcp_runtime_alive_tasks') > 0, text);
  assert.ok(sample(text, 'process_resident_memory_bytes') > 10 << 20, text);
  assert.ok(sample(text, 'process_open_fds') > 5, text);
  // A slow call is counted in flight while it runs, and no longer after.
  const running = client.callTool({ name: 'slow_compute', arguments: { seconds: 1, label: 'in-flight' } });
  let seen = 0;
  for (let i = 0; i < 50 && seen === 0; i++) {
    seen = sample(await (await fetch(`http://${addr}/metrics`)).text(), 'kube_mcp_in_flight_requests');
    if (seen === 0) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(seen, 1, 'the running call is in flight');
  await running;
  assert.equal(sample(await (await fetch(`http://${addr}/metrics`)).text(), 'kube_mcp_in_flight_requests'), 0);
  await client.close();

  const publicPort = await fetch(`${server.base}/metrics`, { method: 'GET' });
  assert.notEqual(publicPort.status, 200, 'metrics are not on the public port');
});

test('made-up HTTP methods share one label: a stranger cannot grow the series count', async () => {
  const server = await startServer({
    plugins: pluginsDir(builtPlugin('conformance')),
    args: ['--no-auth', '--metrics-listen', '127.0.0.1:0'],
  });
  try {
    const { addr } = await server.waitForLog((e) => e.message === 'serving metrics');
    for (let i = 0; i < 30; i++) await fetch(server.url, { method: `MADEUP${i}` }).then((r) => r.arrayBuffer());
    await fetch(server.url, { method: 'PUT' }).then((r) => r.arrayBuffer());
    const text = await (await fetch(`http://${addr}/metrics`)).text();
    const methods = new Set([...text.matchAll(/^kube_mcp_http_requests_total\{[^}]*method="([^"]*)"/gm)].map((m) => m[1]));
    assert.deepEqual([...methods].sort(), ['PUT', 'other'], text);
    assert.equal(sample(text, 'kube_mcp_http_requests_total', { route: '/mcp', method: 'other' }), 30, text);
  } finally {
    await server.stop();
  }
});
