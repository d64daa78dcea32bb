// Each hardening rule of the MCP endpoint: the bad request, its status and
// its body; and the server keeps serving afterwards.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const ACCEPT = 'application/json, text/event-stream';
const ALLOWED_ORIGIN = 'https://app.example.com';
const initialize = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } },
};

let server;
before(async () => {
  server = await startServer({
    plugins: pluginsDir(builtPlugin('conformance'), builtPlugin('hostile', 'test-plugins')),
    args: ['--no-auth', '--max-request-body', '4KiB', '--request-timeout', '1s', '--allowed-origins', ALLOWED_ORIGIN],
  });
});
after(() => server?.stop());

async function post(body, headers = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The JSON-RPC messages of a JSON or SSE response body. */
function messages(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return [JSON.parse(trimmed)];
  return trimmed.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)));
}

async function session() {
  const response = await post(initialize);
  assert.equal(response.status, 200, response.text);
  const id = response.headers.get('mcp-session-id');
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': id });
  return id;
}

describe('MCP endpoint hardening', () => {
  test('a Host that is not the server\'s is refused (DNS rebinding): 403', async () => {
    // fetch() may not set Host; go through the raw path with an explicit header.
    const { request } = await import('node:http');
    const url = new URL(server.url);
    const status = await new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
        headers: { host: 'evil.example.com', 'content-type': 'application/json', accept: ACCEPT } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end(JSON.stringify(initialize));
    });
    assert.equal(status, 403);
  });

  test('an Origin that is not allowed is refused: 403; an allowed one gets CORS headers', async () => {
    const refused = await post(initialize, { origin: 'https://evil.example.com' });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /Origin/);
    const preflight = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,mcp-session-id' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    const allowed = await post(initialize, { origin: ALLOWED_ORIGIN });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.match(allowed.headers.get('access-control-expose-headers') ?? '', /mcp-session-id/i);
  });

  test('a body over the limit: 413', async () => {
    const response = await post({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(8192) } });
    assert.equal(response.status, 413);
    assert.match(response.text, /exceeds 4096 bytes/);
  });

  test('a body that is not JSON: 415 for the wrong content type', async () => {
    const response = await post(JSON.stringify(initialize), { 'content-type': 'text/plain' });
    assert.equal(response.status, 415);
    assert.match(response.text, /application\/json/);
  });

  test('an unknown or ended session: 404', async () => {
    const unknown = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': 'no-such-session' });
    assert.equal(unknown.status, 404);
    const id = await session();
    const ended = await fetch(server.url, { method: 'DELETE', headers: { 'mcp-session-id': id } });
    assert.ok(ended.status < 300, `DELETE answered ${ended.status}`);
    const after = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-session-id': id });
    assert.equal(after.status, 404);
  });

  test('an unsupported protocol version: 400', async () => {
    const id = await session();
    const response = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': id, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(response.status, 400);
    assert.match(response.text, /1999-01-01/);
  });

  test('malformed JSON gets a JSON-RPC parse error; a non-message an invalid-request error', async () => {
    const broken = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
    assert.equal(broken.status, 400);
    assert.equal(JSON.parse(broken.text).error.code, -32700);
    for (const bad of [[{ jsonrpc: '2.0', id: 1, method: 'ping' }], { hello: 'world' }, { jsonrpc: '1.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: {}, method: 'ping' }]) {
      const response = await post(bad);
      assert.equal(response.status, 400, JSON.stringify(bad));
      const body = JSON.parse(response.text);
      assert.equal(body.error.code, -32600, JSON.stringify(bad));
      assert.equal(body.id, null);
    }
  });

  test('a request over the per-request deadline gets an error, and the server keeps serving', async () => {
    const id = await session();
    const slow = await post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'spin', arguments: {} } },
      { 'mcp-session-id': id });
    const [answer] = messages(slow.text).filter((m) => m.id === 7);
    assert.ok(answer?.error, slow.text);
    assert.match(answer.error.message, /longer than 1s/);
    const ping = await post({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'test_simple_text', arguments: {} } },
      { 'mcp-session-id': id });
    const [result] = messages(ping.text).filter((m) => m.id === 8);
    assert.equal(result.result.content[0].text, 'This is a simple text response for testing.');
  });

  test('an unknown tool is a JSON-RPC error; a crashing plugin is a tool error', async () => {
    const id = await session();
    const unknown = messages((await post({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'nope', arguments: {} } },
      { 'mcp-session-id': id })).text).find((m) => m.id === 9);
    assert.equal(unknown.error.code, -32602);
    const crash = messages((await post({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'panic', arguments: {} } },
      { 'mcp-session-id': id })).text).find((m) => m.id === 10);
    assert.equal(crash.result.isError, true);
    assert.match(crash.result.content[0].text, /^plugin 'hostile' crashed/);
  });
});
