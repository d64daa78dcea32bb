// Bearer-token authentication and per-caller tool policy against the real
// IdPs of the environment (node-oidc-provider and Keycloak).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

import { required } from './lib/env.mjs';
import * as jwt from './lib/jwt.mjs';
import { authorizeHeadless, clientCredentialsToken, discovery, passwordToken, userToken } from './lib/oidc.mjs';
import { builtPlugin, pluginsDir, startServer, freePort } from './lib/server.mjs';

const ACCEPT = 'application/json, text/event-stream';
const initialize = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } },
};

function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-config-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

async function post(url, token, body = initialize, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), text: await response.text() };
}

const issuer = () => required('OIDC_ISSUER_URL');
const keycloak = () => required('KEYCLOAK_ISSUER_URL');
const secret = () => fs.readFileSync(required('OIDC_HS256_SECRET_FILE'), 'utf8').trim();

describe('bearer tokens from the real IdPs', () => {
  let server;
  const tokens = [];
  before(async () => {
    const config = configFile(`
oidc:
  issuerUrl: ${issuer()}
  signingMethod: [RS256, ES256, PS256, EdDSA, HS256]
  hs256SecretFile: ${required('OIDC_HS256_SECRET_FILE')}
  scopes: [openid, mcp]
  requiredScopes: [mcp]
  issuers:
    - issuerUrl: ${keycloak()}
      audience: [${required('MCP_RESOURCE_URL')}]
      requiredScopes: [mcp]
      signingMethod: [RS256]
tools:
  rules:
    - deny: [test_error_handling]
      when: {groups: [kube-mcp-viewers]}
    - allow: ["test_*", json_schema_2020_12_tool]
      when: {scopes: [mcp]}
`);
    server = await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--config', config] });
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys" && e.issuer?.startsWith(keycloak()));
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys" && e.issuer?.startsWith(issuer()));
  });
  after(async () => {
    await server?.stop();
    // No token, nor any part of one, ever reaches the log.
    const log = server.log.map((l) => JSON.stringify(l)).join('\n');
    const parts = tokens.flatMap((t) => t.split('.').slice(1)).filter((p) => p.length >= 16);
    assert.ok(parts.length > 20, 'the tokens sent were recorded');
    for (const part of parts) assert.ok(!log.includes(part), `a token part appears in the log: ${part.slice(0, 16)}…`);
  });

  test('Protected Resource Metadata, at the root and for /mcp, without a token', async () => {
    for (const [suffix, resource] of [['/mcp', `${server.base}/mcp`], ['', `${server.base}/`]]) {
      const response = await fetch(`${server.base}/.well-known/oauth-protected-resource${suffix}`);
      assert.equal(response.status, 200);
      const prm = await response.json();
      assert.equal(prm.resource, resource);
      assert.deepEqual(prm.authorization_servers, [issuer(), keycloak()]);
      assert.deepEqual(prm.scopes_supported, ['openid', 'mcp']);
      assert.deepEqual(prm.bearer_methods_supported, ['header']);
      assert.equal(prm.resource_name, 'kube-mcp');
      assert.ok(prm.resource_documentation);
      assert.deepEqual(prm.resource_signing_alg_values_supported, ['ES256', 'EdDSA', 'HS256', 'PS256', 'RS256']);
    }
  });

  test('no token: 401 pointing at the metadata, with the scopes to ask for', async () => {
    const response = await post(server.url);
    assert.equal(response.status, 401);
    assert.equal(response.challenge,
      `Bearer resource_metadata="${server.base}/.well-known/oauth-protected-resource/mcp", scope="openid mcp"`);
    assert.equal(JSON.parse(response.text).error, 'unauthorized');
    const root = await post(`${server.base}/`);
    assert.match(root.challenge, new RegExp(`resource_metadata="${server.base}/.well-known/oauth-protected-resource"`));
  });

  test('node-oidc-provider tokens of every algorithm are accepted', async () => {
    for (const [clientId, alg] of [['kube-mcp-tests', 'RS256'], ['kube-mcp-es256', 'ES256'], ['kube-mcp-ps256', 'PS256'],
      ['kube-mcp-eddsa', 'EdDSA'], ['kube-mcp-hs256', 'HS256']]) {
      const token = await clientCredentialsToken(issuer(), { clientId, clientSecret: `${clientId}-secret`, scope: 'mcp', resource: server.url });
      tokens.push(token);
      assert.equal(jwt.decode(token).header.alg, alg);
      const response = await post(server.url, token);
      assert.equal(response.status, 200, `${alg}: ${response.text}`);
    }
  });

  test('Keycloak tokens are accepted', async () => {
    const token = await passwordToken(keycloak(), { clientId: 'mcp-public', username: 'alice', password: 'alice-password', scope: 'openid mcp' });
    tokens.push(token);
    const response = await post(server.url, token);
    assert.equal(response.status, 200, response.text);
  });

  test('every bad token gets 401 invalid_token saying why; too few scopes 403', async () => {
    const good = await clientCredentialsToken(issuer(), { clientId: 'kube-mcp-tests', clientSecret: 'kube-mcp-tests-secret', scope: 'mcp', resource: server.url });
    const otherAudience = await clientCredentialsToken(issuer(), { clientId: 'kube-mcp-tests', clientSecret: 'kube-mcp-tests-secret', scope: 'mcp', resource: 'http://127.0.0.1:1/mcp' });
    const { jwks_uri: jwksUri } = await discovery(issuer());
    const { keys } = await (await fetch(jwksUri)).json();
    const rsaPublicPem = (await import('node:crypto')).createPublicKey({ key: keys.find((k) => k.kty === 'RSA'), format: 'jwk' })
      .export({ type: 'spki', format: 'pem' });
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      ['another audience', otherAudience, /audience is not accepted/],
      ['expired', jwt.hs256(jwt.claims(issuer(), server.url, { exp: now - 3600, iat: now - 7200 }), secret()), /expired/],
      ['another issuer', jwt.hs256(jwt.claims('https://evil.example.com', server.url), secret()), /issuer 'https:\/\/evil.example.com' is not trusted/],
      ['tampered signature', jwt.tampered(good), /signature does not verify/],
      ['alg none', jwt.unsigned(jwt.claims(issuer(), server.url)), /unsigned tokens/],
      ['HS256 signed with the RSA public key', jwt.hs256(jwt.claims(issuer(), server.url), rsaPublicPem), /signature does not verify/],
      ['unknown kid', jwt.rs256WithUnpublishedKey(jwt.claims(issuer(), server.url), 'no-such-key'), /no RS256 key with id 'no-such-key'/],
      ['not yet valid', jwt.hs256(jwt.claims(issuer(), server.url, { nbf: now + 3600 }), secret()), /not valid yet/],
      ['not a JWT', 'abc.def', /not a JWT|not base64url|not a JSON object/],
    ];
    for (const [name, token, reason] of cases) {
      tokens.push(token);
      const response = await post(server.url, token);
      assert.equal(response.status, 401, `${name}: ${response.status} ${response.text}`);
      assert.match(response.challenge, /^Bearer resource_metadata="[^"]+", scope="openid mcp", error="invalid_token", error_description="/, name);
      assert.match(JSON.parse(response.text).error_description, reason, name);
    }
    const noScope = jwt.hs256(jwt.claims(issuer(), server.url, { scope: 'openid' }), secret());
    const forbidden = await post(server.url, noScope);
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.challenge, /error="insufficient_scope"/);
    assert.match(forbidden.challenge, /scope="mcp"/);
    assert.match(forbidden.challenge, /resource_metadata="/);
  });

  test('a token in the query string is refused', async () => {
    const token = jwt.hs256(jwt.claims(issuer(), server.url), secret());
    const response = await post(`${server.url}?access_token=${token}`, null);
    assert.equal(response.status, 401);
    assert.match(response.challenge, /error="invalid_request"/);
  });

  test('callers with different groups see and may call different tools', async () => {
    const connect = async (user) => {
      const token = await userToken(issuer(), { user, resource: server.url });
      tokens.push(token);
      const client = new Client({ name: 'e2e', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }));
      return client;
    };
    const alice = await connect('alice'); // kube-mcp-viewers
    const carol = await connect('carol'); // kube-mcp-admins
    const names = async (c) => (await c.listTools()).tools.map((t) => t.name);
    assert.ok(!(await names(alice)).includes('test_error_handling'));
    assert.ok((await names(carol)).includes('test_error_handling'));
    await assert.rejects(alice.callTool({ name: 'test_error_handling', arguments: {} }), /unknown tool 'test_error_handling'/);
    const allowed = await carol.callTool({ name: 'test_error_handling', arguments: {} });
    assert.equal(allowed.isError, true);
    await alice.close();
    await carol.close();
    // The audit line of a call is written once its response has gone out.
    await server.waitForLog((l) => l.target === 'kube_mcp::audit' && l.tool === 'test_error_handling' && l.decision === 'allow', 5_000);
    const audit = server.log.filter((l) => l.target === 'kube_mcp::audit' && l.tool === 'test_error_handling');
    assert.ok(audit.some((l) => l.decision === 'deny' && l.reason === 'denied by tools.rules[0]' && l.subject === 'alice'), JSON.stringify(audit));
    assert.ok(audit.some((l) => l.decision === 'allow' && l.subject === 'carol' && typeof l.duration_ms === 'number' && l.plugin === 'conformance'));
  });

  test('the TypeScript SDK client logs in by itself: 401, metadata, registration, PKCE, token', async () => {
    const redirectUri = 'http://127.0.0.1/callback';
    const provider = {
      redirectUrl: redirectUri,
      clientMetadata: {
        client_name: 'kube-mcp-e2e', redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'], token_endpoint_auth_method: 'none', application_type: 'native', scope: 'openid mcp',
      },
      clientInformation() { return this.client; },
      saveClientInformation(client) { this.client = client; },
      tokens() { return this.saved; },
      saveTokens(tokens) { this.saved = tokens; },
      redirectToAuthorization(url) { this.authorizationUrl = url; },
      saveCodeVerifier(verifier) { this.verifier = verifier; },
      codeVerifier() { return this.verifier; },
    };
    const first = new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider });
    await assert.rejects(new Client({ name: 'e2e', version: '1' }).connect(first), UnauthorizedError);
    assert.ok(provider.client?.client_id, 'the client registered itself');
    assert.equal(provider.authorizationUrl.searchParams.get('resource'), server.url);
    const code = await authorizeHeadless(provider.authorizationUrl.href, { user: 'carol', redirectUri });
    await first.finishAuth(code);
    assert.ok(provider.saved?.access_token);
    tokens.push(provider.saved.access_token);
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider }));
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
    assert.equal(result.content[0].text, 'This is a simple text response for testing.');
    await client.close();
  });
});

/** A private node-oidc-provider this test may stop. */
async function privateIdp() {
  const port = await freePort();
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-idp-'));
  const secretFile = path.join(state, 'hs256.secret');
  fs.writeFileSync(secretFile, 'a'.repeat(64));
  const child = spawn(process.execPath, ['server.mjs'], {
    cwd: required('OIDC_PROVIDER_APP'),
    env: { ...process.env, OIDC_PORT: String(port), OIDC_STATE_DIR: state, OIDC_HS256_SECRET_FILE: secretFile },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${url}/.well-known/openid-configuration`)).ok) break; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    url,
    requests: async () => (await fetch(`${url}/test/requests`)).json(),
    stop: async () => { child.kill('SIGKILL'); await exited; },
  };
}

describe('IdP outages', () => {
  test('with keys held, tokens keep working while the IdP is down; random kids do not hammer it', async () => {
    const idp = await privateIdp();
    const server = await startServer({
      plugins: pluginsDir(builtPlugin('conformance')),
      args: ['--oidc-issuer-url', idp.url],
    });
    try {
      await server.waitForLog((e) => e.message === "fetched the issuer's signing keys");
      const token = await clientCredentialsToken(idp.url, { clientId: 'kube-mcp-tests', clientSecret: 'kube-mcp-tests-secret', scope: 'mcp', resource: server.url });
      assert.equal((await post(server.url, token)).status, 200);

      const before = await idp.requests();
      const count = (r) => (r['/jwks'] ?? 0) + (r['/.well-known/openid-configuration'] ?? 0);
      const burst = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        post(server.url, jwt.rs256WithUnpublishedKey(jwt.claims(idp.url, server.url), `random-${i}-${Math.random()}`))));
      assert.ok(burst.every((r) => r.status === 401));
      const after = await idp.requests();
      const fetched = count(after) - count(before);
      assert.ok(fetched <= 2, `50 forged kids caused ${fetched} requests to the IdP (at most one refresh: discovery + JWKS)`);

      await idp.stop();
      assert.equal((await post(server.url, token)).status, 200, 'cached keys keep working with the IdP down');
      const ready = await fetch(`${server.base}/readyz`);
      assert.equal(ready.status, 200, 'still ready: the keys it holds work');
    } finally {
      await server.stop();
      await idp.stop().catch(() => {});
    }
  });

  test('an IdP down at start does not stop the server; it is not ready, and says why', async () => {
    const port = await freePort();
    const server = await startServer({
      plugins: pluginsDir(builtPlugin('conformance')),
      args: ['--oidc-issuer-url', `http://127.0.0.1:${port}`],
    });
    try {
      const warning = await server.waitForLog((e) => e.level === 'WARN' && /cannot fetch the issuer's signing keys/.test(e.message));
      assert.match(warning.message, /127\.0\.0\.1/);
      assert.equal((await fetch(`${server.base}/health`)).status, 200);
      assert.equal((await fetch(`${server.base}/readyz`)).status, 503);
      const token = jwt.rs256WithUnpublishedKey(jwt.claims(`http://127.0.0.1:${port}`, server.url), 'k1');
      const response = await post(server.url, token);
      assert.equal(response.status, 503);
      assert.match(JSON.parse(response.text).error_description, /not available/);
    } finally {
      await server.stop();
    }
  });
});
