// Which tokens count: access tokens of the environment's IdPs pass, their ID
// tokens for the same client do not, and in resource mode only this
// server's resource URL is an accepted audience (RFC 8707).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { required } from './lib/env.mjs';
import * as jwt from './lib/jwt.mjs';
import { passwordTokens, userTokens } from './lib/oidc.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const issuer = () => required('OIDC_ISSUER_URL');
const keycloak = () => required('KEYCLOAK_ISSUER_URL');
const secret = () => fs.readFileSync(required('OIDC_HS256_SECRET_FILE'), 'utf8').trim();

function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

async function initialize(url, token) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } }),
  });
  const text = await response.text();
  let reason = '';
  try { reason = JSON.parse(text).error_description ?? ''; } catch { /* an MCP answer */ }
  return { status: response.status, reason };
}

async function startWith(yaml, extraArgs = []) {
  const server = await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--config', configFile(yaml), ...extraArgs] });
  await server.waitForLog((e) => e.message === "fetched the issuer's signing keys" && e.issuer?.startsWith(keycloak()));
  await server.waitForLog((e) => e.message === "fetched the issuer's signing keys" && e.issuer?.startsWith(issuer()));
  return server;
}

describe('ID tokens are not access tokens', () => {
  let server;
  before(async () => {
    // The client IDs are accepted audiences, as users of Entra ID and the Go server rely on.
    server = await startWith(`
oidc:
  issuerUrl: ${issuer()}
  clientId: mcp-cli
  issuers:
    - issuerUrl: ${keycloak()}
      audience: [${required('MCP_RESOURCE_URL')}, mcp-public]
      signingMethod: [RS256]
`);
  });
  after(async () => server?.stop());

  test("node-oidc-provider: the access token passes, the ID token for the same client is refused", async () => {
    const tokens = await userTokens(issuer(), { user: 'alice', resource: server.url });
    assert.equal((await initialize(server.url, tokens.access_token)).status, 200);
    const id = jwt.decode(tokens.id_token).payload;
    assert.equal(id.aud, 'mcp-cli', 'the ID token is for the client, an accepted audience');
    const refused = await initialize(server.url, tokens.id_token);
    assert.equal(refused.status, 401);
    assert.match(refused.reason, /ID token/);
  });

  test('Keycloak: the access token passes, the ID token is refused', async () => {
    const tokens = await passwordTokens(keycloak(), { clientId: 'mcp-public', username: 'alice', password: 'alice-password', scope: 'openid mcp' });
    assert.equal((await initialize(server.url, tokens.access_token)).status, 200);
    const refused = await initialize(server.url, tokens.id_token);
    assert.equal(refused.status, 401);
    assert.match(refused.reason, /ID token \('(at_hash' claim|typ': 'ID')/);
  });
});

describe('oidc.audienceMode: resource', () => {
  test('only the resource URL is an audience; the client ID is not', async () => {
    const yaml = `
oidc:
  issuerUrl: ${issuer()}
  clientId: mcp-cli
  signingMethod: [RS256, HS256]
  hs256SecretFile: ${required('OIDC_HS256_SECRET_FILE')}
  issuers:
    - issuerUrl: ${keycloak()}
      signingMethod: [RS256]
`;
    let compatible;
    let strict;
    try {
      compatible = await startWith(yaml);
      strict = await startWith(yaml, ['--oidc-audience-mode', 'resource']);
      for (const [server, clientIdAccepted] of [[compatible, true], [strict, false]]) {
        const forClient = jwt.hs256(jwt.claims(issuer(), 'mcp-cli'), secret());
        const forServer = jwt.hs256(jwt.claims(issuer(), server.url), secret());
        assert.equal((await initialize(server.url, forServer)).status, 200);
        const outcome = await initialize(server.url, forClient);
        assert.equal(outcome.status, clientIdAccepted ? 200 : 401, outcome.reason);
        // A real IdP's token with the RFC 8707 resource passes either way.
        const { access_token: real } = await userTokens(issuer(), { user: 'alice', resource: server.url });
        assert.equal((await initialize(server.url, real)).status, 200);
      }
      const refused = await initialize(strict.url, jwt.hs256(jwt.claims(issuer(), 'mcp-cli'), secret()));
      assert.match(refused.reason, new RegExp(`audience is not accepted here \\(accepted: ${strict.url}, ${strict.base}/\\)`));
    } finally {
      await compatible?.stop();
      await strict?.stop();
    }
  });
});
