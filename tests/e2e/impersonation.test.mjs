// Who a caller becomes in Kubernetes in impersonate mode, against the real
// control plane: users are `<issuer>#<sub>` by default, so one issuer's
// alice is never another's; system: users and groups are refused at the
// door with an audit line; a verified email may name the user.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { required } from './lib/env.mjs';
import * as jwt from './lib/jwt.mjs';
import { passwordToken, userToken } from './lib/oidc.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const issuer = () => required('OIDC_ISSUER_URL');
const keycloak = () => required('KEYCLOAK_ISSUER_URL');
const secret = () => fs.readFileSync(required('OIDC_HS256_SECRET_FILE'), 'utf8').trim();

/** A test-controlled issuer: HS256 with a secret only this test knows. */
const forgeIssuer = 'https://issuer-b.kube-mcp.test';
const forgeSecret = 'issuer-b-secret-0123456789abcdef0123';

function tempFile(name, text) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-')), name);
  fs.writeFileSync(file, text);
  return file;
}

const grant = `
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [pods], namespaces: ["*"]}
`;

async function connect(url, token) {
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  }));
  return client;
}

/** The error text of list_pods in `namespace`, or '' when it succeeded. */
async function listPods(url, token, namespace = 'demo') {
  const client = await connect(url, token);
  try {
    const result = await client.callTool({ name: 'list_pods', arguments: { namespace, output: 'json' } });
    return result.isError ? result.content[0].text : '';
  } finally {
    await client.close();
  }
}

async function status(url, token) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } }),
  });
  return { status: response.status, text: await response.text(), challenge: response.headers.get('www-authenticate') ?? '' };
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('impersonation names callers by issuer and never as system:', () => {
  let server;
  before(async () => {
    const config = tempFile('config.yaml', `
oidc:
  issuerUrl: ${issuer()}
  signingMethod: [RS256, HS256]
  hs256SecretFile: ${required('OIDC_HS256_SECRET_FILE')}
  issuers:
    - issuerUrl: ${keycloak()}
      audience: [${required('MCP_RESOURCE_URL')}]
      signingMethod: [RS256]
    - issuerUrl: ${forgeIssuer}
      signingMethod: [HS256]
      hs256SecretFile: ${tempFile('b.secret', forgeSecret)}
${grant}`);
    server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core')),
      args: ['--kubeconfig', required('KUBECONFIG'), '--kube-identity', 'impersonate', '--config', config],
    });
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys" && e.issuer?.startsWith(keycloak()));
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys" && e.issuer?.startsWith(issuer()));
  });
  after(async () => server?.stop());

  test("each issuer's users are '<issuer>#<sub>', so alice of one is not alice of another", async () => {
    // alice of node-oidc-provider: her groups still apply (kube-mcp-viewers: view).
    const alice = await userToken(issuer(), { user: 'alice', resource: server.url });
    assert.equal(await listPods(server.url, alice), '');
    const aliceNoGroups = jwt.hs256(jwt.claims(issuer(), server.url, { sub: 'alice' }), secret());
    assert.match(await listPods(server.url, aliceNoGroups),
      new RegExp(`^Forbidden \\(403\\): pods is forbidden: User "${escape(issuer())}#alice" cannot list`));
    // The test-controlled issuer's alice is someone else.
    const otherAlice = jwt.hs256(jwt.claims(forgeIssuer, server.url, { sub: 'alice' }), forgeSecret);
    assert.match(await listPods(server.url, otherAlice),
      new RegExp(`User "${escape(forgeIssuer)}#alice" cannot list`));
    // Keycloak's alice is her sub (a UUID) behind Keycloak's issuer.
    const keycloakAlice = await passwordToken(keycloak(), { clientId: 'mcp-public', username: 'alice', password: 'alice-password', scope: 'openid mcp' });
    const sub = jwt.decode(keycloakAlice).payload.sub;
    assert.equal(await listPods(server.url, keycloakAlice), '', 'Keycloak alice is in kube-mcp-viewers');
    const bob = await passwordToken(keycloak(), { clientId: 'mcp-public', username: 'bob', password: 'bob-password', scope: 'openid mcp' });
    const bobSub = jwt.decode(bob).payload.sub;
    assert.notEqual(bobSub, sub);
    assert.match(await listPods(server.url, bob), new RegExp(`User "${escape(keycloak())}#${bobSub}" cannot list`));
  });

  test('an IdP login named system:kube-controller-manager gets no system power', async () => {
    const token = await userToken(issuer(), { user: 'system:kube-controller-manager', resource: server.url });
    assert.match(await listPods(server.url, token),
      new RegExp(`User "${escape(issuer())}#system:kube-controller-manager" cannot list`));
  });

  test('a token with a system: group is refused with 401 and an audit line', async () => {
    const token = jwt.hs256(jwt.claims(issuer(), server.url, { sub: 'mallory', groups: ['viewers', 'system:masters'] }), secret());
    const response = await status(server.url, token);
    assert.equal(response.status, 401, response.text);
    assert.match(response.challenge, /error="invalid_token"/);
    assert.match(JSON.parse(response.text).error_description, /group 'system:masters'.*never impersonated/);
    await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.message === 'token refused' && /system:masters/.test(e.reason));
  });
});

describe('impersonation by claims the operator chose', () => {
  test('an unprefixed system: user is refused; a verified email names the user', async () => {
    const config = tempFile('config.yaml', `
oidc:
  issuerUrl: ${issuer()}
  signingMethod: [RS256, HS256]
  hs256SecretFile: ${required('OIDC_HS256_SECRET_FILE')}
  usernameClaim: preferred_username
  issuers:
    - issuerUrl: ${forgeIssuer}
      signingMethod: [HS256]
      hs256SecretFile: ${tempFile('b.secret', forgeSecret)}
      impersonation: {usernameClaim: email}
kubernetes:
  impersonation: {usernameClaim: preferred_username, userPrefix: "-"}
${grant}`);
    const server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core')),
      args: ['--kubeconfig', required('KUBECONFIG'), '--kube-identity', 'impersonate', '--config', config],
    });
    try {
      await server.waitForLog((e) => e.message === "fetched the issuer's signing keys" && e.issuer?.startsWith(issuer()));
      // node-oidc-provider lets anyone log in as any name: unprefixed, that is a system: user.
      const controller = await userToken(issuer(), { user: 'system:kube-controller-manager', resource: server.url });
      const refused = await status(server.url, controller);
      assert.equal(refused.status, 401, refused.text);
      assert.match(JSON.parse(refused.text).error_description, /Kubernetes user 'system:kube-controller-manager'/);
      // bob (unprefixed, as the operator chose) has no binding.
      const bob = await userToken(issuer(), { user: 'bob', resource: server.url });
      assert.match(await listPods(server.url, bob), /User "bob" cannot list/);

      const mail = (verified) => jwt.hs256(jwt.claims(forgeIssuer, server.url,
        { sub: 'x1', email: 'dora@example.com', email_verified: verified }), forgeSecret);
      const unverified = await status(server.url, mail(false));
      assert.equal(unverified.status, 401);
      assert.match(JSON.parse(unverified.text).error_description, /email_verified is not true/);
      assert.match(await listPods(server.url, mail(true)), /User "dora@example.com" cannot list/);
    } finally {
      await server.stop();
    }
  });

  test('issuers whose users could meet are refused at start-up', async () => {
    const config = tempFile('config.yaml', `
oidc:
  issuerUrl: ${issuer()}
  issuers:
    - issuerUrl: ${forgeIssuer}
      signingMethod: [HS256]
      hs256SecretFile: ${tempFile('b.secret', forgeSecret)}
      impersonation: {userPrefix: "-"}
`);
    const { spawnSync } = await import('node:child_process');
    const { binary } = await import('./lib/server.mjs');
    const run = spawnSync(binary, ['serve', '--port', '0', '--plugins-dir', pluginsDir(), '--kube-identity', 'impersonate', '--config', config], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /could become the same Kubernetes user/);
  });
});
