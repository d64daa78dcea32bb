// Identity tokenExchange (issue 27): the second cluster trusts Keycloak's
// https issuer (structured authentication configuration, audience
// cluster-b); kube-mcp exchanges the caller's MCP token at Keycloak
// (RFC 8693, standard token exchange) and sends the result to that cluster.
// The API server then sees alice herself, and its RBAC decides: she may
// read namespace east, not west. The first cluster stays on the server's
// own credentials.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { required } from './lib/env.mjs';
import { configFile } from './lib/granted.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const issuer = () => required('KEYCLOAK_HTTPS_ISSUER_URL');
const ca = () => fs.readFileSync(required('ENV_CA_FILE'));

/** POSTs `form` to Keycloak's https `endpoint` (the environment's CA). */
function post(endpoint, form) {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString();
    const request = https.request(`${issuer()}/protocol/openid-connect/${endpoint}`, {
      method: 'POST', ca: ca(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
    }, (response) => {
      let text = '';
      response.on('data', (c) => { text += c; });
      response.on('end', () => resolve({ status: response.statusCode, json: text ? JSON.parse(text) : {} }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A user's tokens from the https issuer (password grant of mcp-public). */
async function tokens(username, scope = 'openid mcp kube-mcp-exchange') {
  const { status, json } = await post('token', { grant_type: 'password', client_id: 'mcp-public', username, password: `${username}-password`, scope });
  assert.equal(status, 200, JSON.stringify(json));
  return json;
}

/** The second API server's audit events since `since` (ms). */
function auditB(since) {
  return fs.readFileSync(required('KUBE_APISERVER_B_AUDIT_LOG'), 'utf8').split('\n').filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((e) => Date.parse(e.requestReceivedTimestamp) >= since - 1000);
}

describe('tokenExchange: the caller\'s own identity in the second cluster', () => {
  let server;
  const started = Date.now();
  before(async () => {
    const secret = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-exchange-')), 'secret');
    fs.writeFileSync(secret, 'kube-mcp-exchange-secret\n');
    const config = configFile(`
logging: {level: debug}
oidc:
  issuerUrl: ${issuer()}
  audience: [${required('MCP_RESOURCE_URL')}]
  signingMethod: [RS256]
kubernetes:
  clusters:
    - {name: env-a, kubeconfig: ${required('KUBECONFIG')}, default: true}
    - name: env-b
      kubeconfig: ${required('KUBECONFIG_B')}
      identity: tokenExchange
      tokenExchange:
        tokenUrl: ${issuer()}/protocol/openid-connect/token
        clientId: kube-mcp-exchange
        clientSecretFile: ${secret}
        audience: cluster-b
        caFile: ${required('ENV_CA_FILE')}
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [configmaps, namespaces, pods], namespaces: ["*"]}
`);
    // The issuer is https under the environment's CA.
    server = await startServer({ plugins: pluginsDir(builtPlugin('kube-core')), args: ['--config', config],
      env: { SSL_CERT_FILE: required('ENV_CA_FILE') } });
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys");
  });
  after(async () => server?.stop());

  const as = async (token) => {
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    const call = async (name, args = {}) => {
      const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
      return { isError: result.isError === true, text: result.content[0]?.text ?? '' };
    };
    return { client, call };
  };

  test('alice reads east on env-b as herself: the audit log shows keycloak:alice, no impersonation', async () => {
    const since = Date.now();
    const alice = await as((await tokens('alice')).access_token);
    try {
      const read = await alice.call('get_config_map', { namespace: 'east', name: 'cluster-identity', context: 'env-b' });
      assert.equal(read.isError, false, read.text);
      assert.match(read.text, /cluster: cluster-b/);
      const events = auditB(since).filter((e) => e.objectRef?.resource === 'configmaps' && e.objectRef?.namespace === 'east'
        && e.objectRef?.name === 'cluster-identity' && e.verb === 'get');
      assert.ok(events.length > 0, 'the get is audited');
      for (const e of events) {
        assert.equal(e.user.username, 'keycloak:alice');
        assert.ok(e.user.groups.includes('keycloak:kube-mcp-viewers'), JSON.stringify(e.user));
        assert.equal(e.impersonatedUser, undefined, 'no Impersonate-User header');
      }
      // The first cluster still acts as the server's own identity.
      const onA = await alice.call('list_namespaces');
      assert.equal(onA.isError, false, onA.text);
    } finally {
      await alice.client.close();
    }
  });

  test('RBAC decides: alice is refused in west, in the API server\'s words', async () => {
    const alice = await as((await tokens('alice')).access_token);
    try {
      const west = await alice.call('list_config_maps', { namespace: 'west', context: 'env-b' });
      assert.equal(west.isError, true);
      assert.match(west.text, /User "keycloak:alice" cannot list resource "configmaps" in API group "" in the namespace "west"/);
    } finally {
      await alice.client.close();
    }
  });

  test('one exchange per token while it lasts', async () => {
    const token = (await tokens('alice')).access_token;
    const alice = await as(token);
    const exchanges = () => server.log.filter((e) => e.message === "exchanged the caller's token for the cluster's").length;
    try {
      const before = exchanges();
      for (let i = 0; i < 3; i++) {
        const read = await alice.call('get_config_map', { namespace: 'east', name: 'cluster-identity', context: 'env-b' });
        assert.equal(read.isError, false, read.text);
      }
      assert.equal(exchanges() - before, 1, 'exchanged once, then from the cache');
    } finally {
      await alice.client.close();
    }
  });

  test('a token Keycloak will not exchange is a clear 403-class tool error', async () => {
    // Without the kube-mcp-exchange audience, Keycloak refuses the exchange.
    const plain = await as((await tokens('alice', 'openid mcp')).access_token);
    try {
      const refused = await plain.call('get_config_map', { namespace: 'east', name: 'cluster-identity', context: 'env-b' });
      assert.equal(refused.isError, true);
      assert.match(refused.text, /the identity provider refused to exchange the caller's token for audience 'cluster-b'/);
      assert.match(refused.text, /403|Forbidden|TokenExchangeRefused/);
    } finally {
      await plain.client.close();
    }
  });

  test('a revoked session: its token is no longer exchanged', async () => {
    const fresh = await tokens('alice');
    const { status } = await post('logout', { client_id: 'mcp-public', refresh_token: fresh.refresh_token });
    assert.ok(status === 204 || status === 200, `logout: ${status}`);
    const revoked = await as(fresh.access_token);
    try {
      const refused = await revoked.call('get_config_map', { namespace: 'east', name: 'cluster-identity', context: 'env-b' });
      assert.equal(refused.isError, true);
      assert.match(refused.text, /the identity provider refused to exchange the caller's token/);
    } finally {
      await revoked.client.close();
    }
  });

  test('neither the caller\'s token nor the exchanged one reaches kube-mcp\'s log', async () => {
    assert.ok(server.log.length > 10, 'there is a (debug) log to look at');
    const jwtish = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/;
    for (const entry of server.log) assert.ok(!jwtish.test(JSON.stringify(entry)), JSON.stringify(entry));
    assert.ok(!server.log.some((e) => JSON.stringify(e).includes('kube-mcp-exchange-secret')), 'nor the client secret');
  });
});
