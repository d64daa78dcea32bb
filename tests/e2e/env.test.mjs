// The local environment of tests/env/up: each part works as later tests
// rely on it to.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';

import { kubectl, required } from './lib/env.mjs';
import {
  clientCredentialsToken, decodeJwt, discovery, passwordToken, userToken, verifyJwt,
} from './lib/oidc.mjs';

const admin = () => required('KUBECONFIG');
const resource = () => required('MCP_RESOURCE_URL');

describe('kubernetes control plane', () => {
  test('the apiserver reports the version it was built as', async () => {
    const { code, stdout, stderr } = await kubectl(admin(), 'version', '-o', 'json');
    assert.equal(code, 0, stderr);
    const { serverVersion } = JSON.parse(stdout);
    assert.equal(serverVersion.gitVersion, required('K8S_VERSION'));
    assert.equal(`v${serverVersion.major}.${serverVersion.minor}`, required('K8S_VERSION').split('.').slice(0, 2).join('.'));
  });

  test('a second cluster on the same etcd shares no objects with the first', async () => {
    const b = required('KUBECONFIG_B');
    const identity = await kubectl(b, 'get', 'configmap', 'cluster-identity', '-n', 'east', '-o', 'jsonpath={.data.cluster}');
    assert.equal(identity.code, 0, identity.stderr);
    assert.equal(identity.stdout, 'cluster-b');
    assert.match((await kubectl(b, 'get', 'namespace', 'demo')).stderr, /namespaces "demo" not found/);
    assert.match((await kubectl(admin(), 'get', 'namespace', 'east')).stderr, /namespaces "east" not found/);
    const { stdout } = await kubectl(b, 'version', '-o', 'json');
    assert.equal(JSON.parse(stdout).serverVersion.gitVersion, required('K8S_VERSION'));
  });

  test('fixture pods run on kwok nodes and serve their logs', async () => {
    const pods = JSON.parse((await kubectl(admin(), 'get', 'pods', '-n', 'demo', '-o', 'json')).stdout).items;
    assert.ok(pods.length >= 3, `expected the demo pods, got ${pods.length}`);
    for (const pod of pods) {
      assert.equal(pod.status.phase, 'Running', `${pod.metadata.name} is ${pod.status.phase}`);
      assert.match(pod.spec.nodeName, /^kwok-node-/);
    }
    const { code, stdout, stderr } = await kubectl(admin(), 'logs', '-n', 'demo', pods[0].metadata.name, '--all-containers');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /kube-mcp fixture: listening on :8080/);
  });

  test('fixtures: services, config, secret, ingress, volumes, events, custom resources', async () => {
    const get = async (...args) => JSON.parse((await kubectl(admin(), 'get', ...args, '-o', 'json')).stdout);
    assert.equal((await get('service', 'web', '-n', 'demo')).spec.ports[0].port, 80);
    assert.equal((await get('configmap', 'app-config', '-n', 'demo')).data.LOG_LEVEL, 'info');
    assert.equal((await get('secret', 'app-secret', '-n', 'demo')).type, 'Opaque');
    assert.equal((await get('ingress', 'web', '-n', 'demo')).spec.rules[0].host, 'web.demo.example.com');
    assert.equal((await get('pvc', 'data', '-n', 'demo')).status.phase, 'Bound');
    const events = (await get('events', '-n', 'demo')).items.map((e) => e.reason);
    assert.ok(events.includes('FixtureCreated') && events.includes('Scheduled'), events.join(','));
    const widgets = (await get('widgets.example.kube-mcp.io', '-A')).items.map((w) => w.metadata.name);
    assert.deepEqual(widgets.sort(), ['widget-a', 'widget-b', 'widget-c']);
  });

  test('the view-only user may read but is forbidden to delete a pod', async () => {
    const viewer = required('KUBECONFIG_VIEW_USER');
    assert.equal((await kubectl(viewer, 'get', 'pods', '-n', 'demo')).code, 0);
    const { code, stderr } = await kubectl(viewer, 'delete', 'pods', '--all', '-n', 'demo', '--dry-run=server');
    assert.notEqual(code, 0);
    assert.match(stderr, /Forbidden.*User "view-user" cannot delete resource "pods"/);
  });

  test('the user without bindings is forbidden to list pods', async () => {
    const { code, stderr } = await kubectl(required('KUBECONFIG_NO_ACCESS_USER'), 'get', 'pods', '-A');
    assert.notEqual(code, 0);
    assert.match(stderr, /Forbidden.*User "no-access-user" cannot list resource "pods"/);
  });

  test("the server's ServiceAccount has the seed chart's read-only rules", async () => {
    const sa = required('KUBECONFIG_SERVER_SA');
    assert.equal((await kubectl(sa, 'get', 'pods', '-n', 'demo')).code, 0);
    const secrets = await kubectl(sa, 'get', 'secrets', '-n', 'demo');
    assert.match(secrets.stderr, /Forbidden.*system:serviceaccount:kube-mcp-system:kube-mcp/);
    const write = await kubectl(sa, 'delete', 'pods', '--all', '-n', 'demo', '--dry-run=server');
    assert.match(write.stderr, /Forbidden/);
  });

  test('the apiserver writes an audit log', () => {
    const log = fs.readFileSync(required('KUBE_APISERVER_AUDIT_LOG'), 'utf8');
    assert.match(log, /"user":\{"username":"view-user"/);
  });
});

function assertClaims(token, { issuer, sub, scope, alg }) {
  const { header, payload } = decodeJwt(token);
  if (alg) assert.equal(header.alg, alg);
  assert.equal(payload.iss, issuer);
  const aud = [payload.aud].flat();
  assert.ok(aud.includes(resource()), `aud ${JSON.stringify(payload.aud)} lacks ${resource()}`);
  assert.ok(payload.scope.split(' ').includes(scope), `scope "${payload.scope}" lacks ${scope}`);
  if (sub) assert.equal(payload.sub, sub);
  else assert.ok(payload.sub, 'no sub');
  assert.ok(payload.exp > Date.now() / 1000, 'expired');
  return payload;
}

describe('node-oidc-provider', () => {
  const issuer = () => required('OIDC_ISSUER_URL');

  test('serves discovery with the features MCP clients use', async () => {
    const config = await discovery(issuer());
    assert.equal(config.issuer, issuer());
    assert.ok(config.registration_endpoint, 'dynamic registration');
    assert.deepEqual(config.code_challenge_methods_supported, ['S256']);
    assert.ok(config.grant_types_supported.includes('client_credentials'));
  });

  test('client credentials: an RS256 JWT for the MCP resource', async () => {
    const token = await clientCredentialsToken(issuer(), {
      clientId: 'kube-mcp-tests', clientSecret: 'kube-mcp-tests-secret', scope: 'mcp', resource: resource(),
    });
    assertClaims(token, { issuer: issuer(), sub: 'kube-mcp-tests', scope: 'mcp', alg: 'RS256' });
    assert.ok(await verifyJwt(token, { jwksUri: (await discovery(issuer())).jwks_uri }));
  });

  test('the HS256 variant is signed with the shared secret', async () => {
    const token = await clientCredentialsToken(issuer(), {
      clientId: 'kube-mcp-hs256', clientSecret: 'kube-mcp-hs256-secret', scope: 'mcp', resource: resource(),
    });
    assertClaims(token, { issuer: issuer(), scope: 'mcp', alg: 'HS256' });
    const secret = fs.readFileSync(required('OIDC_HS256_SECRET_FILE'), 'utf8').trim();
    assert.ok(await verifyJwt(token, { hs256Secret: secret }));
    assert.ok(!(await verifyJwt(token, { hs256Secret: `${secret}x` })), 'a wrong secret must fail');
  });

  test('a user logs in without a browser (PKCE) and gets their groups', async () => {
    const token = await userToken(issuer(), { user: 'alice', scope: 'openid mcp', resource: resource() });
    const claims = assertClaims(token, { issuer: issuer(), sub: 'alice', scope: 'mcp', alg: 'RS256' });
    assert.deepEqual(claims.groups, ['kube-mcp-viewers']);
  });

  test('anonymous dynamic client registration', async () => {
    const { registration_endpoint: endpoint } = await discovery(issuer());
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:7777/callback'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    assert.ok((await response.json()).client_id);
  });
});

describe('Keycloak', () => {
  const issuer = () => required('KEYCLOAK_ISSUER_URL');

  test('serves discovery for the imported realm', async () => {
    const config = await discovery(issuer());
    assert.equal(config.issuer, issuer());
    assert.ok(config.code_challenge_methods_supported.includes('S256'));
  });

  test('a user token (public client) has the MCP audience, scope, sub and groups', async () => {
    const token = await passwordToken(issuer(), {
      clientId: 'mcp-public', username: 'alice', password: 'alice-password', scope: 'openid mcp',
    });
    const claims = assertClaims(token, { issuer: issuer(), scope: 'mcp', alg: 'RS256' });
    assert.equal(claims.preferred_username, 'alice');
    assert.deepEqual(claims.groups, ['kube-mcp-viewers']);
    assert.ok(await verifyJwt(token, { jwksUri: (await discovery(issuer())).jwks_uri }));
  });

  test('the confidential client gets a token by client credentials', async () => {
    const token = await clientCredentialsToken(issuer(), {
      clientId: 'mcp-confidential', clientSecret: 'mcp-confidential-secret', scope: 'mcp',
    });
    assertClaims(token, { issuer: issuer(), scope: 'mcp' });
  });

  test('without the mcp scope the token is not for the MCP server', async () => {
    const token = await passwordToken(issuer(), {
      clientId: 'mcp-public', username: 'bob', password: 'bob-password', scope: 'openid',
    });
    const { payload } = decodeJwt(token);
    assert.ok(![payload.aud].flat().includes(resource()), 'aud must not name the MCP server');
  });
});

const runUp = async (env = {}) => {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('tests/env/up', { env: { ...process.env, ...env } },
      (error, stdout, stderr) => resolve({ code: error?.code ?? 0, stdout, stderr }));
  });
};

describe('tests/env/up', () => {
  test('restarts a daemon that was killed, even while it is a zombie', async () => {
    const pidFile = `${required('KUBE_MCP_ENV_STATE')}/pids/oidc-provider`;
    const [pid] = fs.readFileSync(pidFile, 'utf8').trim().split(' ');
    process.kill(-Number(pid), 'SIGKILL');
    const result = await runUp();
    assert.equal(result.code, 0, result.stderr);
    const [newPid] = fs.readFileSync(pidFile, 'utf8').trim().split(' ');
    assert.notEqual(newPid, pid, 'a new oidc-provider was started');
    assert.match(result.stdout, /^export OIDC_ISSUER_URL=/m);
    const config = await discovery(required('OIDC_ISSUER_URL'));
    assert.equal(config.issuer, required('OIDC_ISSUER_URL'));
  });

  test('a failing step stops it loudly: the step, the reason, its log', async () => {
    const os = await import('node:os');
    const path = await import('node:path');
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-env-fail-'));
    // etcd's port is one the running apiserver holds: the etcd step must
    // refuse it rather than take the apiserver for a healthy etcd.
    const apiserverPort = new URL(JSON.parse((await kubectl(admin(), 'config', 'view', '--minify', '-o', 'json')).stdout)
      .clusters[0].cluster.server).port;
    const result = await runUp({ KUBE_MCP_ENV_STATE: state, ETCD_PORT: apiserverPort });
    fs.rmSync(state, { recursive: true, force: true });
    assert.notEqual(result.code, 0);
    assert.equal(result.stdout, '', 'no exports on failure');
    assert.match(result.stderr, /step 'etcd' failed/);
    assert.match(result.stderr, new RegExp(`port ${apiserverPort} is already in use .* set ETCD_PORT`));
  });
});
