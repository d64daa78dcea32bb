// MCP 2026-07-28 is stateless: any replica answers any request. Two kube-mcp
// replicas sharing one request-state key sit behind a round-robin proxy;
// the TypeScript SDK v2 client (which speaks 2026-07-28) confirms a
// kube-ops delete through a multi-round-trip request whose retry lands on
// the other replica, against the real control plane. A tampered state is
// refused by both, and a replica with another key refuses the state.

import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { kubectl, required } from './lib/env.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';
import { post } from './lib/stateless.mjs';

const admin = () => required('KUBECONFIG');

function tempFile(name, contents) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-replicas-')), name);
  fs.writeFileSync(file, contents, { mode: 0o600 });
  return file;
}

const config = tempFile('config.yaml', `
plugins:
  grants:
    kube-ops:
      - {verbs: [get, delete], apiGroups: [""], resources: [configmaps], namespaces: [demo]}
`);

/**
 * A round-robin HTTP proxy: request N goes to `backends[N % 2]`. Records
 * which backend served each JSON-RPC request (method and whether it carried
 * a requestState).
 */
async function roundRobin(backends) {
  let next = 0;
  const served = [];
  const proxy = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const index = next++ % backends.length;
      const target = new URL(req.url, backends[index]);
      try {
        const message = JSON.parse(body.toString() || 'null');
        if (message?.method) {
          served.push({ backend: index, method: message.method, retry: message.params?.requestState !== undefined });
        }
      } catch { /* not JSON: forwarded as it is */ }
      const upstream = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (reply) => {
        res.writeHead(reply.statusCode, reply.headers);
        reply.pipe(res);
      });
      upstream.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
      upstream.end(body);
    });
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${proxy.address().port}/mcp`, served, close: () => proxy.close() };
}

describe('two replicas behind one port (MCP 2026-07-28)', () => {
  const key = tempFile('state.key', crypto.randomBytes(32).toString('base64'));
  const replicas = [];
  let stranger;
  let proxy;
  before(async () => {
    for (let i = 0; i < 2; i++) {
      replicas.push(await startServer({
        plugins: pluginsDir(builtPlugin('kube-ops')),
        args: ['--no-auth', '--kubeconfig', admin(), '--config', config, '--state-key-file', key],
      }));
    }
    // Same plugins, its own random key.
    stranger = await startServer({
      plugins: pluginsDir(builtPlugin('kube-ops')),
      args: ['--no-auth', '--kubeconfig', admin(), '--config', config],
    });
    proxy = await roundRobin(replicas.map((r) => r.base));
  });
  after(async () => {
    proxy?.close();
    await Promise.all([...replicas, stranger].map((s) => s?.stop()));
  });

  test('a confirmed delete completes though its retry lands on the other replica', async () => {
    const name = `replicas-${crypto.randomBytes(4).toString('hex')}`;
    assert.equal((await kubectl(admin(), 'create', 'configmap', name, '-n', 'demo')).code, 0);
    // `auto` probes server/discover and speaks 2026-07-28 (the default is
    // still a 2025 session, which a round-robin proxy would break).
    const client = new Client({ name: 'e2e-v2', version: '1' }, {
      capabilities: { elicitation: { form: {} } },
      versionNegotiation: { mode: 'auto' },
    });
    const asked = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { confirm: true } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
    const before = proxy.served.length;
    const result = await client.callTool({
      name: 'resources_delete',
      arguments: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name },
    });
    await client.close();
    assert.equal(result.isError ?? false, false, JSON.stringify(result));
    assert.deepEqual(asked, [`Delete ConfigMap demo/${name}?`]);
    const calls = proxy.served.slice(before).filter((s) => s.method === 'tools/call');
    assert.equal(calls.length, 2, `one call and its retry: ${JSON.stringify(calls)}`);
    assert.deepEqual(calls.map((c) => c.retry), [false, true]);
    assert.notEqual(calls[0].backend, calls[1].backend, 'the retry went to the other replica');
    assert.notEqual((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'the ConfigMap is gone');
    // Each replica's audit line says what it did (written once the
    // response has gone out, so wait for both).
    const audited = (outcome) => Promise.any(replicas.map((r) => r.waitForLog(
      (e) => e.message === 'tool call' && e.tool === 'resources_delete' && e.outcome === outcome, 5_000)));
    await Promise.all([audited('input_required'), audited('ok')]);
    const outcomes = replicas.map((r) => r.log.filter((e) => e.message === 'tool call' && e.tool === 'resources_delete').map((e) => e.outcome));
    assert.deepEqual(outcomes.flat().sort(), ['input_required', 'ok']);
  });

  test('a tampered or foreign request state is refused by every replica and changes nothing', async () => {
    const name = `replicas-${crypto.randomBytes(4).toString('hex')}`;
    assert.equal((await kubectl(admin(), 'create', 'configmap', name, '-n', 'demo')).code, 0);
    const args = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name };
    const first = await post(replicas[0].url, 'tools/call', { name: 'resources_delete', arguments: args });
    assert.equal(first.body.result?.resultType, 'input_required', JSON.stringify(first.body));
    const [question] = Object.keys(first.body.result.inputRequests);
    const state = first.body.result.requestState;
    const answer = { [question]: { action: 'accept', content: { confirm: true } } };
    const flip = (s, at) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
    const tampered = flip(state, Math.floor(state.length / 2));
    for (const replica of replicas) {
      const refused = await post(replica.url, 'tools/call', { name: 'resources_delete', arguments: args, inputResponses: answer, requestState: tampered });
      assert.equal(refused.body.error?.code, -32602, JSON.stringify(refused.body));
      assert.match(refused.body.error.message, /requestState is refused/);
    }
    // The state answers this call only: not another object.
    const other = await post(replicas[1].url, 'tools/call', {
      name: 'resources_delete', arguments: { ...args, name: 'web' }, inputResponses: answer, requestState: state,
    });
    assert.equal(other.body.error?.code, -32602, JSON.stringify(other.body));
    // A replica with another key cannot open it.
    const foreign = await post(stranger.url, 'tools/call', { name: 'resources_delete', arguments: args, inputResponses: answer, requestState: state });
    assert.equal(foreign.body.error?.code, -32602, JSON.stringify(foreign.body));
    assert.equal((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'nothing was deleted');
    // A client that cannot be asked is refused, fail closed (no question,
    // no change), as in session mode.
    const unasked = await post(replicas[0].url, 'tools/call', { name: 'resources_delete', arguments: args }, { capabilities: {} });
    assert.equal(unasked.body.result?.isError, true, JSON.stringify(unasked.body));
    assert.match(unasked.body.result.content[0].text, /cannot be asked.*nothing was changed/s);
    // The genuine state, on the other replica, completes the delete.
    const done = await post(replicas[1].url, 'tools/call', { name: 'resources_delete', arguments: args, inputResponses: answer, requestState: state });
    assert.equal(done.body.result?.isError ?? false, false, JSON.stringify(done.body));
    assert.notEqual((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'the ConfigMap is gone');
  });
});
