// A stateful session belongs to the caller who created it: another
// authenticated user who learns its id gets "unknown session" (404).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { required } from './lib/env.mjs';
import { userToken } from './lib/oidc.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const issuer = () => required('OIDC_ISSUER_URL');

async function post(url, token, body, sessionId) {
  const headers = {
    authorization: `Bearer ${token}`, 'content-type': 'application/json',
    accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18',
  };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, session: response.headers.get('mcp-session-id'), text: await response.text() };
}

describe('sessions are bound to their caller', () => {
  let server;
  before(async () => {
    server = await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--oidc-issuer-url', issuer()] });
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys");
  });
  after(async () => server?.stop());

  test("another user presenting alice's session id is answered as an unknown session", async () => {
    const alice = await userToken(issuer(), { user: 'alice', resource: server.url });
    const bob = await userToken(issuer(), { user: 'bob', resource: server.url });
    const init = await post(server.url, alice, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } });
    assert.equal(init.status, 200, init.text);
    assert.ok(init.session, 'a stateful server names the session');
    const initialized = await post(server.url, alice, { jsonrpc: '2.0', method: 'notifications/initialized' }, init.session);
    assert.equal(initialized.status, 202, initialized.text);

    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
    const stolen = await post(server.url, bob, list, init.session);
    assert.equal(stolen.status, 404, `bob used alice's session: ${stolen.text}`);
    const own = await post(server.url, alice, list, init.session);
    assert.equal(own.status, 200, own.text);
    assert.match(own.text, /"tools"/);
    // Bob may still have a session of his own.
    const bobs = await post(server.url, bob, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } });
    assert.equal(bobs.status, 200);
    assert.notEqual(bobs.session, init.session);
  });
});
