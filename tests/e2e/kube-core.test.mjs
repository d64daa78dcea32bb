// kube-core against the real control plane of the environment: every tool
// returns the fixture objects it should, through the Kubernetes gateway
// (read here in the JSON form; kube-answers.test.mjs covers tables, YAML and
// budgets).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { kubectl, required } from './lib/env.mjs';
import { userToken } from './lib/oidc.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-config-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

/** The default grant of config/dev.yaml (reads, without Secrets), or with Secrets. */
function grants({ secrets = false } = {}) {
  const core = ['pods', 'pods/log', 'services', 'configmaps', 'events', 'namespaces', 'nodes',
    'persistentvolumes', 'persistentvolumeclaims', ...(secrets ? ['secrets'] : [])];
  return `
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [${core.join(', ')}], namespaces: ["*"]}
      - {verbs: [get, list], apiGroups: [apps, networking.k8s.io, example.kube-mcp.io], resources: ["*"], namespaces: ["*"]}
`;
}

async function connect(url, headers = {}) {
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** Tools that take `output`; these tests read their JSON form. */
const takesOutput = /^(list_|get_(?!server_version)|resources_(list|get)$|events_list$)/;

/** Calls a tool (in its JSON form); resolves to {isError, text, json}. */
async function call(client, name, args = {}) {
  if (takesOutput.test(name) && !('output' in args)) args = { ...args, output: 'json' };
  const result = await client.callTool({ name, arguments: args });
  const text = result.content[0]?.text ?? '';
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { isError: result.isError === true, text, json };
}

const names = (list) => list.items.map((i) => i.metadata.name).sort();

/** The fixtures' pods, not the thousands other tests (and benchmarks) add. */
const fixturePods = { labelSelector: 'app in (web,api,cart)' };

describe('kube-core, as the admin kubeconfig with the default grant', () => {
  let server;
  let client;
  before(async () => {
    server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core')),
      args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', configFile(grants())],
    });
    client = await connect(server.url);
  });
  after(async () => { await client?.close(); await server?.stop(); });

  test('get_server_version', async () => {
    const { json } = await call(client, 'get_server_version');
    assert.equal(json.gitVersion, required('K8S_VERSION'));
  });

  test('the cluster-scoped seed tools', async () => {
    assert.ok(names((await call(client, 'list_nodes')).json).includes('kwok-node-0'));
    assert.ok(names((await call(client, 'list_namespaces')).json).includes('demo'));
    assert.deepEqual(names((await call(client, 'list_persistent_volumes')).json).filter((n) => n.startsWith('pv-')), ['pv-demo-data', 'pv-spare']);
    assert.equal((await call(client, 'get_node', { name: 'kwok-node-0' })).json.kind, 'Node');
    assert.equal((await call(client, 'get_namespace', { name: 'shop' })).json.metadata.name, 'shop');
    assert.equal((await call(client, 'get_persistent_volume', { name: 'pv-spare' })).json.kind, 'PersistentVolume');
  });

  test('the namespaced seed tools, in one namespace and in all', async () => {
    const demo = { namespace: 'demo' };
    assert.ok(names((await call(client, 'list_pods', demo)).json).some((n) => n.startsWith('web-')));
    assert.ok((await call(client, 'list_pods', fixturePods)).json.items.some((p) => p.metadata.namespace === 'shop'), 'all namespaces');
    assert.ok(names((await call(client, 'list_services', demo)).json).includes('web'));
    assert.ok(names((await call(client, 'list_deployments', demo)).json).includes('web'));
    assert.ok(names((await call(client, 'list_ingresses', demo)).json).includes('web'));
    assert.ok(names((await call(client, 'list_persistent_volume_claims', demo)).json).includes('data'));
    assert.ok((await call(client, 'list_events', demo)).json.items.length > 0);
    assert.ok(names((await call(client, 'list_config_maps', demo)).json).includes('app-config'));
    const pod = (await call(client, 'list_pods', demo)).json.items[0].metadata.name;
    assert.equal((await call(client, 'get_pod', { name: pod, namespace: 'demo' })).json.metadata.name, pod);
    assert.equal((await call(client, 'get_service', { name: 'web', namespace: 'demo' })).json.spec.ports[0].port, 80);
    assert.equal((await call(client, 'get_deployment', { name: 'web', namespace: 'demo' })).json.kind, 'Deployment');
    assert.equal((await call(client, 'get_ingress', { name: 'web', namespace: 'demo' })).json.kind, 'Ingress');
    assert.equal((await call(client, 'get_persistent_volume_claim', { name: 'data', namespace: 'demo' })).json.kind, 'PersistentVolumeClaim');
    const config = (await call(client, 'get_config_map', { name: 'app-config', namespace: 'demo' })).json;
    assert.equal(config.data.LOG_LEVEL, 'info');
    assert.equal(config.metadata.managedFields, undefined, 'managedFields are removed');
  });

  test('Secrets are outside the default grant: a clear denied-by-grant', async () => {
    for (const [tool, args] of [['list_secrets', { namespace: 'demo' }], ['get_secret', { name: 'app-secret', namespace: 'demo' }]]) {
      const result = await call(client, tool, args);
      assert.equal(result.isError, true);
      assert.match(result.text, /^denied by grant: (list|get) on secrets in namespace demo .*operator did not grant/);
    }
  });

  test('custom resources through the generic tools', async () => {
    const widgets = (await call(client, 'resources_list', { apiVersion: 'example.kube-mcp.io/v1', kind: 'Widget', namespace: 'demo' })).json;
    assert.equal(widgets.kind, 'WidgetList');
    assert.ok(widgets.items.length >= 1);
    const first = widgets.items[0].metadata.name;
    const one = (await call(client, 'resources_get', { apiVersion: 'example.kube-mcp.io/v1', kind: 'Widget', namespace: 'demo', name: first })).json;
    assert.equal(one.metadata.name, first);
    const kinds = (await call(client, 'api_resources_list', { output: 'json' })).json;
    assert.ok(kinds.some((k) => k.Kind === 'Widget' && k['API Version'] === 'example.kube-mcp.io/v1' && k.Namespaced));
    // The default: a table for the model, its rows as structured content.
    const table = await client.callTool({ name: 'api_resources_list', arguments: { apiGroup: 'apps' } });
    assert.match(table.content[0].text, /^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND +VERBS$/m);
    assert.match(table.content[0].text, /^deployments +deploy +apps\/v1 +true +Deployment +create,/m);
    assert.deepEqual(table.structuredContent.columns.map((c) => c.name), ['Name', 'Short Names', 'API Version', 'Namespaced', 'Kind', 'Verbs']);
    assert.ok(table.structuredContent.rows.length >= 4 && table.structuredContent.rows.every((r) => r['API Version'] === 'apps/v1'));
    const missing = await call(client, 'resources_list', { apiVersion: 'example.kube-mcp.io/v1', kind: 'Gadget' });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /no kind 'Gadget'/);
  });

  test('selectors and pagination', async () => {
    const selected = (await call(client, 'list_pods', { namespace: 'demo', labelSelector: 'app=web' })).json;
    assert.ok(selected.items.length >= 1 && selected.items.every((p) => p.metadata.labels.app === 'web'));
    const all = (await call(client, 'list_pods', fixturePods)).json.items.length;
    assert.ok(all >= 3);
    const seen = [];
    let token;
    do {
      const page = (await call(client, 'list_pods', { ...fixturePods, limit: 1, ...(token ? { continue: token } : {}) })).json;
      assert.ok(page.items.length <= 1);
      seen.push(...page.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
      token = page.metadata.continue;
    } while (token);
    assert.equal(seen.length, all, 'pages of one cover every pod once');
    assert.equal(new Set(seen).size, all);
  });

  test('pods_log returns a kwok pod\'s log lines; events_list about one object', async () => {
    const pod = (await call(client, 'list_pods', { namespace: 'demo', labelSelector: 'app=web' })).json.items[0].metadata.name;
    const log = await call(client, 'pods_log', { namespace: 'demo', name: pod, tail: 50 });
    assert.equal(log.isError, false, log.text);
    assert.match(log.text, /kube-mcp fixture: listening on :8080/);
    const events = (await call(client, 'events_list', { namespace: 'demo', kind: 'Deployment', name: 'web' })).json;
    assert.ok(events.items.every((e) => e.involvedObject.name === 'web' && e.involvedObject.kind === 'Deployment'));
  });
});

describe('kube-core with Secrets granted', () => {
  test('Secret values are redacted by default', async () => {
    const server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core')),
      args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', configFile(grants({ secrets: true }))],
    });
    const client = await connect(server.url);
    try {
      const secret = (await call(client, 'get_secret', { name: 'app-secret', namespace: 'demo' })).json;
      assert.ok(Object.keys(secret.data).length > 0);
      assert.ok(Object.values(secret.data).every((v) => v === '<redacted>'), JSON.stringify(secret.data));
      const list = (await call(client, 'list_secrets', { namespace: 'demo' })).json;
      assert.ok(list.items.every((s) => Object.values(s.data ?? {}).every((v) => v === '<redacted>')));
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

describe('identities', () => {
  test('serviceAccount mode: the server\'s RBAC applies (no configmaps in the seed rules)', async () => {
    const server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core')),
      args: ['--no-auth', '--kubeconfig', required('KUBECONFIG_SERVER_SA'), '--config', configFile(grants())],
    });
    const client = await connect(server.url);
    try {
      assert.equal((await call(client, 'list_pods', { namespace: 'demo' })).isError, false);
      const refused = await call(client, 'list_config_maps', { namespace: 'demo' });
      assert.equal(refused.isError, true);
      assert.match(refused.text, /^Forbidden \(403\): configmaps is forbidden: User "system:serviceaccount:[^"]+" cannot list resource "configmaps"/);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  test('impersonate mode: each caller gets their own RBAC, named in the error', async () => {
    const server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core'), builtPlugin('kube-ops')),
      args: ['--kubeconfig', required('KUBECONFIG'), '--kube-identity', 'impersonate',
        '--oidc-issuer-url', required('OIDC_ISSUER_URL'), '--config', configFile(`${grants()}
    kube-ops:
      - {verbs: [get, list, delete], apiGroups: [""], resources: [pods], namespaces: [demo]}
  overrides:
    kube-ops:
      settings: {confirmation: notRequired}
`)],
    });
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys");
    const as = async (user) => connect(server.url, { authorization: `Bearer ${await userToken(required('OIDC_ISSUER_URL'), { user, resource: server.url })}` });
    const alice = await as('alice'); // kube-mcp-viewers: view
    const bob = await as('bob'); // nothing
    try {
      const pods = await call(alice, 'list_pods', { namespace: 'demo' });
      assert.equal(pods.isError, false, pods.text);
      assert.ok(pods.json.items.length > 0);
      // The view-only user may read, and the cluster refuses it a delete.
      const pod = pods.json.items[0].metadata.name;
      const deleting = await call(alice, 'resources_delete', { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: pod });
      assert.equal(deleting.isError, true);
      // Users are their issuer's: '<issuer>#<sub>'.
      const alicesName = `${required('OIDC_ISSUER_URL')}#alice`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.match(deleting.text, new RegExp(`^Forbidden \\(403\\): pods "${pod}" is forbidden: User "${alicesName}" cannot delete resource "pods"`));
      const refused = await call(bob, 'list_pods', { namespace: 'demo' });
      assert.equal(refused.isError, true);
      assert.match(refused.text, /^Forbidden \(403\): pods is forbidden: User "http:\/\/127\.0\.0\.1:\d+#bob" cannot list resource "pods" in API group "" in the namespace "demo"/);
    } finally {
      await alice.close();
      await bob.close();
      await server.stop();
    }
  });
});
