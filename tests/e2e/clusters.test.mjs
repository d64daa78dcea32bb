// One server, two clusters (issue 27): the environment's control plane
// ("env-a", the default) and a second kube-apiserver on the same etcd under
// another prefix ("env-b", with its own fixtures: namespace east and
// east/cluster-identity). Tools gain a `context` argument the host adds and
// takes; grants and tool rules can name clusters; configuration tools list
// what a caller may use; a cluster that goes down fails only its own calls.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { required } from './lib/env.mjs';
import { configFile } from './lib/granted.mjs';
import * as jwt from './lib/jwt.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const issuer = () => required('OIDC_ISSUER_URL');
/** The second API server's URL, as its kubeconfig has it. */
const serverB = () => fs.readFileSync(required('KUBECONFIG_B'), 'utf8').match(/server: (\S+)/)[1];
const secret = () => fs.readFileSync(required('OIDC_HS256_SECRET_FILE'), 'utf8').trim();

describe('several clusters behind one server', () => {
  let server;
  before(async () => {
    const config = configFile(`
oidc:
  issuerUrl: ${issuer()}
  signingMethod: [RS256, HS256]
  hs256SecretFile: ${required('OIDC_HS256_SECRET_FILE')}
kubernetes:
  clusters:
    - {name: env-a, kubeconfig: ${required('KUBECONFIG')}, default: true}
    - {name: env-b, kubeconfig: ${required('KUBECONFIG_B')}}
tools:
  rules:
    # The east team may use every tool, on env-b only; admins everywhere.
    - allow: ["*"]
      clusters: [env-b]
      when: {groups: [east-team]}
    - allow: ["*"]
      when: {groups: [admins]}
plugins:
  grants:
    kube-core:
      # Pods only on env-a; ConfigMaps and namespaces on every cluster.
      - {verbs: [get, list], apiGroups: [""], resources: [pods, events], namespaces: ["*"], clusters: [env-a]}
      - {verbs: [get, list], apiGroups: [""], resources: [configmaps, namespaces], namespaces: ["*"]}
    kube-ops:
      - {verbs: [get, delete], apiGroups: [""], resources: [configmaps], namespaces: ["*"]}
`);
    server = await startServer({ plugins: pluginsDir(builtPlugin('kube-core'), builtPlugin('kube-ops')), args: ['--config', config] });
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys");
  });
  after(async () => server?.stop());

  const tokenOf = (sub, groups) => jwt.hs256(jwt.claims(issuer(), server.url, { sub, groups }), secret());
  const as = async (sub, groups) => {
    const token = tokenOf(sub, groups);
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    const call = async (name, args = {}) => {
      const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
      return { isError: result.isError === true, text: result.content[0]?.text ?? '', structured: result.structuredContent };
    };
    return { client, call };
  };

  test('every tool takes context, whose enum is the clusters the caller may use it on', async () => {
    const admin = await as('ada', ['admins']);
    const east = await as('eve', ['east-team']);
    try {
      const adminTools = (await admin.client.listTools()).tools;
      assert.ok(adminTools.length > 20);
      for (const tool of adminTools) {
        assert.deepEqual(tool.inputSchema.properties.context?.enum, ['env-a', 'env-b'], tool.name);
        assert.ok(!(tool.inputSchema.required ?? []).includes('context'), 'context is optional');
      }
      const eastTools = (await east.client.listTools()).tools;
      assert.deepEqual(eastTools.map((t) => t.name), adminTools.map((t) => t.name), 'the same tools');
      for (const tool of eastTools) {
        assert.deepEqual(tool.inputSchema.properties.context.enum, ['env-b'], tool.name);
        assert.match(tool.inputSchema.properties.context.description, /default cluster, 'env-a', is not one you may use/);
      }
    } finally {
      await admin.client.close();
      await east.client.close();
    }
  });

  test('the same tool reaches each cluster by context; absent is the default', async () => {
    const admin = await as('ada', ['admins']);
    try {
      const onB = await admin.call('get_config_map', { namespace: 'east', name: 'cluster-identity', context: 'env-b' });
      assert.equal(onB.isError, false, onB.text);
      assert.match(onB.text, /cluster: cluster-b/);
      const onA = await admin.call('get_config_map', { namespace: 'east', name: 'cluster-identity' });
      assert.equal(onA.isError, true);
      assert.match(onA.text, /NotFound|not found/);
      const namespaces = async (context) => (await admin.call('list_namespaces', context ? { context } : {})).structured.rows.map((r) => r.Name);
      const [a, b, explicitA] = [await namespaces(), await namespaces('env-b'), await namespaces('env-a')];
      assert.ok(a.includes('demo') && !a.includes('east'), a.join(','));
      assert.ok(b.includes('east') && !b.includes('demo'), b.join(','));
      assert.deepEqual(explicitA, a);
      await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.tool === 'list_namespaces' && e.cluster === 'env-b' && e.subject === 'ada');
    } finally {
      await admin.client.close();
    }
  });

  test('a grant that names env-a only is refused on env-b, naming both', async () => {
    const admin = await as('ada', ['admins']);
    try {
      const onA = await admin.call('list_pods', { namespace: 'demo' });
      assert.equal(onA.isError, false, onA.text);
      const onB = await admin.call('list_pods', { namespace: 'east', context: 'env-b' });
      assert.equal(onB.isError, true);
      assert.match(onB.text, /denied by grant: list on pods in namespace east/);
      assert.match(onB.text, /granted it only on cluster env-a, and this call is for cluster 'env-b'/);
    } finally {
      await admin.client.close();
    }
  });

  test('a caller limited to env-b sees only env-b, and cannot reach env-a', async () => {
    const east = await as('eve', ['east-team']);
    try {
      const listed = await east.call('configuration_contexts_list', { context: 'env-b' });
      assert.equal(listed.isError, false, listed.text);
      assert.deepEqual(listed.structured.rows.map((r) => r.Name), ['env-b']);
      const [row] = listed.structured.rows;
      assert.equal(row.Server.replace(/\/$/, ''), serverB());
      assert.equal(row.Default, false);
      assert.equal(row.Identity, 'serviceAccount');
      assert.match(row.Version, /^v1\./);
      assert.equal(row.Status, 'reachable');

      const absent = await east.call('list_namespaces');
      assert.equal(absent.isError, true);
      assert.match(absent.text, /the default cluster 'env-a' is not one you may use with list_namespaces; give context, one of 'env-b'/);
      const onA = await east.call('list_namespaces', { context: 'env-a' });
      assert.equal(onA.isError, true);
      assert.match(onA.text, /context 'env-a' is not a cluster you may use with this tool; use one of 'env-b'/);
      await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.decision === 'deny' && e.subject === 'eve' && e.cluster === 'env-a');
      const onB = await east.call('get_config_map', { namespace: 'east', name: 'cluster-identity', context: 'env-b' });
      assert.equal(onB.isError, false, onB.text);
    } finally {
      await east.client.close();
    }
  });

  test('configuration tools: both clusters for an admin, a kubeconfig without credentials', async () => {
    const admin = await as('ada', ['admins']);
    try {
      const listed = await admin.call('configuration_contexts_list');
      assert.deepEqual(listed.structured.rows.map((r) => [r.Name, r.Default, r.Status]),
        [['env-a', true, 'reachable'], ['env-b', false, 'reachable']]);
      assert.match(listed.text, /NAME\s+SERVER\s+DEFAULT/);
      const unprobed = await admin.call('configuration_contexts_list', { probe: false });
      assert.deepEqual(unprobed.structured.rows.map((r) => r.Status), ['not probed', 'not probed']);

      const minified = await admin.call('configuration_view', { context: 'env-b' });
      assert.match(minified.text, /current-context: "env-b"/);
      assert.ok(!minified.text.includes('"env-a"'), minified.text);
      const whole = await admin.call('configuration_view', { minified: false });
      assert.match(whole.text, /- name: "env-a"[\s\S]*- name: "env-b"/);
      assert.match(whole.text, /current-context: "env-a"/);
      const kubeconfig = fs.readFileSync(required('KUBECONFIG'), 'utf8');
      for (const secretish of [/client-key/, /client-certificate/, /token/, /BEGIN/]) {
        assert.ok(!secretish.test(whole.text), `${secretish} in ${whole.text}`);
      }
      assert.match(kubeconfig, /client-key|token/, 'the kubeconfig itself has credentials');
    } finally {
      await admin.client.close();
    }
  });

  test('a bad context is a clear tool error, and nothing is called', async () => {
    const admin = await as('ada', ['admins']);
    try {
      const unknown = await admin.call('list_namespaces', { context: 'prod' });
      assert.equal(unknown.isError, true);
      assert.match(unknown.text, /invalid arguments: context 'prod' is not a cluster you may use with this tool; use one of 'env-a', 'env-b'/);
      const number = await admin.call('list_namespaces', { context: 7 });
      assert.match(number.text, /context must be a cluster name \(a string\)/);
      // Refused before any plugin ran: audited as a denial on no cluster of the server's.
      await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.decision === 'deny' && e.cluster === 'prod' && e.tool === 'list_namespaces');
    } finally {
      await admin.client.close();
    }
  });

  test('a question answered for one cluster never serves a call on another (stateless request state)', async () => {
    const { post } = await import('./lib/stateless.mjs');
    const { kubectl } = await import('./lib/env.mjs');
    const headers = { authorization: `Bearer ${tokenOf('ada', ['admins'])}` };
    // The same namespace and name on both clusters, made for this test
    // (env-b has no namespace controller: its namespace is left, empty).
    const name = `bound-${Date.now()}`;
    for (const kubeconfig of [required('KUBECONFIG'), required('KUBECONFIG_B')]) {
      assert.equal((await kubectl(kubeconfig, 'create', 'namespace', name)).code, 0);
      assert.equal((await kubectl(kubeconfig, 'create', 'configmap', name, '-n', name)).code, 0);
    }
    try {
      const args = { apiVersion: 'v1', kind: 'ConfigMap', namespace: name, name };
      const first = await post(server.url, 'tools/call', { name: 'resources_delete', arguments: { ...args, context: 'env-b' } }, { headers });
      assert.equal(first.body.result?.resultType, 'input_required', JSON.stringify(first.body));
      const [question] = Object.keys(first.body.result.inputRequests);
      const retry = (context) => post(server.url, 'tools/call', {
        name: 'resources_delete', arguments: { ...args, context },
        inputResponses: { [question]: { action: 'accept', content: { confirm: true } } },
        requestState: first.body.result.requestState,
      }, { headers });
      const elsewhere = await retry('env-a');
      assert.equal(elsewhere.body.error?.code, -32602, JSON.stringify(elsewhere.body));
      assert.equal((await kubectl(required('KUBECONFIG'), 'get', 'configmap', name, '-n', name)).code, 0, 'env-a keeps its ConfigMap');
      const confirmed = await retry('env-b');
      assert.equal(confirmed.body.result?.isError ?? false, false, JSON.stringify(confirmed.body));
      assert.notEqual((await kubectl(required('KUBECONFIG_B'), 'get', 'configmap', name, '-n', name)).code, 0, 'deleted on env-b');
    } finally {
      await kubectl(required('KUBECONFIG'), 'delete', 'namespace', name, '--wait=false');
    }
  });

  test('env-b down: its calls fail fast and clearly, env-a serves, readiness holds; it recovers', { timeout: 300_000 }, async () => {
    const admin = await as('ada', ['admins']);
    const pidFile = `${required('KUBE_MCP_ENV_STATE')}/pids/kube-apiserver-b`;
    try {
      const [pid] = fs.readFileSync(pidFile, 'utf8').trim().split(' ');
      process.kill(-Number(pid), 'SIGKILL');
      // Wait until its port refuses connections.
      for (let i = 0; i < 100; i++) {
        const down = await fetch(`${serverB()}/healthz`).then(() => false, (e) => e.cause?.code === 'ECONNREFUSED');
        if (down) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const onB = await admin.call('get_config_map', { namespace: 'east', name: 'cluster-identity', context: 'env-b' });
      assert.equal(onB.isError, true);
      assert.match(onB.text, /unavailable: cluster 'env-b': cannot reach the API server/);
      const listed = await admin.call('configuration_contexts_list');
      const statuses = Object.fromEntries(listed.structured.rows.map((r) => [r.Name, r.Status]));
      assert.equal(statuses['env-a'], 'reachable');
      assert.match(statuses['env-b'], /^unreachable: /);
      const onA = await admin.call('list_namespaces');
      assert.equal(onA.isError, false, onA.text);
      const ready = await fetch(new URL('/readyz', server.url));
      assert.equal(ready.status, 200, 'readiness does not depend on env-b');

      // tests/env/up starts what is not running: env-b comes back.
      const up = await new Promise((resolve) => execFile('tests/env/up', { env: process.env, cwd: new URL('../..', import.meta.url).pathname },
        (error, stdout, stderr) => resolve({ code: error?.code ?? 0, stderr })));
      assert.equal(up.code, 0, up.stderr);
      const back = await admin.call('get_config_map', { namespace: 'east', name: 'cluster-identity', context: 'env-b' });
      assert.equal(back.isError, false, back.text);
      assert.match(back.text, /cluster: cluster-b/);
    } finally {
      await admin.client.close();
    }
  });
});

describe('allContexts: every context of one kubeconfig is a cluster named after it', () => {
  let server;
  let dir;
  before(async () => {
    const { kubectl } = await import('./lib/env.mjs');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-contexts-'));
    const copy = (from, to) => { fs.copyFileSync(from, to); return to; };
    const a = copy(required('KUBECONFIG'), path.join(dir, 'a.yaml'));
    const b = copy(required('KUBECONFIG_B'), path.join(dir, 'b.yaml'));
    const ok = async (...args) => { const r = await kubectl(...args); assert.equal(r.code, 0, r.stderr); return r.stdout; };
    await ok(a, 'config', 'rename-context', 'kube-mcp-env', 'alpha');
    await ok(b, 'config', 'rename-context', 'kube-mcp-env', 'beta');
    await ok(b, 'config', 'set-cluster', 'beta-cluster', `--server=${serverB()}`, `--certificate-authority=${required('KUBE_MCP_ENV_STATE')}/pki/ca.crt`);
    await ok(b, 'config', 'set-context', 'beta', '--cluster=beta-cluster');
    const { execFile } = await import('node:child_process');
    const merged = await new Promise((resolve, reject) => execFile('kubectl', ['config', 'view', '--flatten'],
      { env: { ...process.env, KUBECONFIG: `${a}:${b}` } }, (error, stdout) => (error ? reject(error) : resolve(stdout))));
    fs.writeFileSync(path.join(dir, 'merged.yaml'), merged);
    server = await startServer({ plugins: pluginsDir(builtPlugin('kube-core')), args: ['--no-auth', '--config', configFile(`
kubernetes:
  clusters:
    - {kubeconfig: ${path.join(dir, 'merged.yaml')}, allContexts: true}
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [configmaps, namespaces], namespaces: ["*"]}
`)] });
  });
  after(async () => { await server?.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  test('two contexts, the current one the default, each reached by its name', async () => {
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    try {
      const tool = (await client.listTools()).tools.find((t) => t.name === 'list_namespaces');
      assert.deepEqual(tool.inputSchema.properties.context.enum, ['alpha', 'beta']);
      const names = async (args) => (await client.callTool({ name: 'list_namespaces', arguments: args })).structuredContent.rows.map((r) => r.Name);
      assert.ok((await names({})).includes('demo'), 'alpha, the current context, is the default');
      assert.ok((await names({ context: 'beta' })).includes('east'));
      const listed = (await client.callTool({ name: 'configuration_contexts_list', arguments: {} })).structuredContent.rows;
      assert.deepEqual(listed.map((r) => [r.Name, r.Default]), [['alpha', true], ['beta', false]]);
    } finally {
      await client.close();
    }
  });
});
