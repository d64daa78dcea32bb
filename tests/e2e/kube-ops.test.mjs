// kube-ops against the real control plane: nothing is written without a
// grant (the apiserver's audit log shows no request), a grant for one
// namespace allows writes there only, and destructive calls ask the user.

import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { kubectl, required } from './lib/env.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-config-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

async function call(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  return { isError: result.isError === true, text: result.content[0]?.text ?? '' };
}

const admin = () => required('KUBECONFIG');
const configMap = (name, namespace) => `apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}, namespace: ${namespace}}
data: {written: by-kube-ops}
`;

/** Audit events (one JSON object per line) mentioning `name`. */
function audited(name) {
  const log = fs.readFileSync(required('KUBE_APISERVER_AUDIT_LOG'), 'utf8');
  return log.split('\n').filter((l) => l.includes(name)).map((l) => JSON.parse(l));
}

describe('kube-ops without a grant', () => {
  let server;
  let client;
  before(async () => {
    // Confirmation off, so that what refuses each write is the missing grant.
    server = await startServer({ plugins: pluginsDir(builtPlugin('kube-ops')), args: ['--no-auth', '--kubeconfig', admin(), '--config', configFile(`
plugins:
  overrides:
    kube-ops:
      settings: {confirmation: notRequired}
`)] });
    client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  });
  after(async () => { await client?.close(); await server?.stop(); });

  test('every write is denied by the grant and never reaches the apiserver', async () => {
    const name = `ops-${crypto.randomBytes(4).toString('hex')}`;
    assert.equal((await kubectl(admin(), 'create', 'configmap', name, '-n', 'demo')).code, 0);
    const writes = [
      ['resources_delete', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name}],
      ['resources_apply', { manifest: configMap(name, 'demo') }],
      ['resources_scale', { kind: 'Deployment', namespace: 'demo', name: 'web', replicas: 5}],
      ['rollout_restart', { kind: 'Deployment', namespace: 'demo', name: 'web' }],
    ];
    for (const [tool, args] of writes) {
      const result = await call(client, tool, args);
      assert.equal(result.isError, true, `${tool}: ${result.text}`);
      assert.match(result.text, /denied by grant|operator did not grant/, tool);
    }
    // Give the audit backend a moment to flush, then look for our requests.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(audited(name).some((e) => e.verb === 'create'), 'the audit log records requests on this object');
    const reached = audited(name).filter((e) => ['delete', 'patch', 'update'].includes(e.verb));
    assert.deepEqual(reached, [], 'no write of kube-ops reached the apiserver');
    assert.equal((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'the object is still there');
    await kubectl(admin(), 'delete', 'configmap', name, '-n', 'demo');
  });
});

/** A server with kube-ops granted writes in demo; `settings` are its plugin settings. */
function opsServer({ verbs = 'get, list, create, patch, delete', settings = '' } = {}) {
  return startServer({
    plugins: pluginsDir(builtPlugin('kube-ops')),
    args: ['--no-auth', '--kubeconfig', admin(), '--config', configFile(`
plugins:
  grants:
    kube-ops:
      - {verbs: [${verbs}], apiGroups: ["", apps], resources: [configmaps, deployments, deployments/scale], namespaces: [demo]}
${settings}`)],
  });
}

describe('kube-ops granted writes in one namespace, confirmation not required', () => {
  let server;
  before(async () => {
    // The operator's explicit choice: clients that cannot be asked may write.
    server = await opsServer({ settings: `
  overrides:
    kube-ops:
      settings: {confirmation: notRequired}
` });
  });
  after(() => server?.stop());

  test('apply, scale, restart and delete in demo; nothing in shop', async () => {
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const name = `ops-${crypto.randomBytes(4).toString('hex')}`;
    try {
      const dry = await call(client, 'resources_apply', { manifest: configMap(name, 'demo'), dryRun: true });
      assert.equal(dry.isError, false, dry.text);
      assert.notEqual((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'a dry run writes nothing');
      const applied = await call(client, 'resources_apply', { manifest: configMap(name, 'demo') });
      assert.equal(applied.isError, false, applied.text);
      assert.equal(JSON.parse(applied.text).data.written, 'by-kube-ops');
      const managers = JSON.parse((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo', '-o', 'json', '--show-managed-fields')).stdout).metadata.managedFields.map((m) => m.manager);
      assert.ok(managers.includes('kube-mcp-kube-ops'), managers.join(','));

      const elsewhere = await call(client, 'resources_apply', { manifest: configMap(name, 'shop') });
      assert.equal(elsewhere.isError, true);
      assert.match(elsewhere.text, /denied by grant: patch on configmaps in namespace shop/);

      const before = JSON.parse((await kubectl(admin(), 'get', 'deployment', 'web', '-n', 'demo', '-o', 'json')).stdout);
      const scaled = await call(client, 'resources_scale', { kind: 'Deployment', namespace: 'demo', name: 'web', replicas: before.spec.replicas + 1});
      assert.equal(scaled.isError, false, scaled.text);
      assert.equal(JSON.parse(scaled.text).spec.replicas, before.spec.replicas + 1);
      await call(client, 'resources_scale', { kind: 'Deployment', namespace: 'demo', name: 'web', replicas: before.spec.replicas});
      const restarted = await call(client, 'rollout_restart', { kind: 'Deployment', namespace: 'demo', name: 'web' });
      assert.equal(restarted.isError, false, restarted.text);
      assert.ok(JSON.parse(restarted.text).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);

      const deleted = await call(client, 'resources_delete', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name });
      assert.equal(deleted.isError, false, deleted.text);
      assert.notEqual((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'deleted');
    } finally {
      await client.close();
      await kubectl(admin(), 'delete', 'configmap', name, '-n', 'demo', '--ignore-not-found');
    }
  });

});

describe('kube-ops confirmation (the default: required)', () => {
  let server;
  before(async () => { server = await opsServer(); });
  after(() => server?.stop());

  test('a client that cannot be asked changes nothing: every write is refused', async () => {
    const name = `ops-${crypto.randomBytes(4).toString('hex')}`;
    assert.equal((await kubectl(admin(), 'create', 'configmap', name, '-n', 'demo')).code, 0);
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    try {
      const before = JSON.parse((await kubectl(admin(), 'get', 'deployment', 'web', '-n', 'demo', '-o', 'json')).stdout);
      const writes = [
        ['resources_apply', { manifest: configMap(`${name}-new`, 'demo') }],
        ['resources_apply', { manifest: configMap(name, 'demo') }],
        ['resources_delete', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name }],
        // The plural resolves too, as in kube-core (one resolver, in the SDK).
        ['resources_delete', { apiVersion: 'v1', kind: 'configmaps', namespace: 'demo', name }],
        ['resources_scale', { kind: 'Deployment', namespace: 'demo', name: 'web', replicas: before.spec.replicas + 1 }],
        ['rollout_restart', { kind: 'Deployment', namespace: 'demo', name: 'web' }],
      ];
      for (const [tool, args] of writes) {
        const result = await call(client, tool, args);
        assert.equal(result.isError, true, `${tool} went ahead unconfirmed: ${result.text}`);
        assert.match(result.text, /needs the user's confirmation, and this client cannot be asked.*confirmation: notRequired/, tool);
      }
      assert.notEqual((await kubectl(admin(), 'get', 'configmap', `${name}-new`, '-n', 'demo')).code, 0, 'nothing created');
      assert.equal((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'nothing deleted');
      const after = JSON.parse((await kubectl(admin(), 'get', 'deployment', 'web', '-n', 'demo', '-o', 'json')).stdout);
      assert.equal(after.spec.replicas, before.spec.replicas);
      assert.equal(after.metadata.generation, before.metadata.generation, 'not scaled, not restarted');
      // A dry run needs no one's confirmation.
      const dry = await call(client, 'resources_apply', { manifest: configMap(`${name}-new`, 'demo'), dryRun: true });
      assert.equal(dry.isError, false, dry.text);
    } finally {
      await client.close();
      await kubectl(admin(), 'delete', 'configmap', name, '-n', 'demo', '--ignore-not-found');
    }
  });

  test('apply and restart ask too, naming what they change', async () => {
    const name = `ops-${crypto.randomBytes(4).toString('hex')}`;
    const asked = [];
    const client = new Client({ name: 'e2e', version: '1' }, { capabilities: { elicitation: {} } });
    let answer = { action: 'decline' };
    client.setRequestHandler(ElicitRequestSchema, (request) => { asked.push(request.params.message); return answer; });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    try {
      const declined = await call(client, 'resources_apply', { manifest: configMap(name, 'demo') });
      assert.equal(declined.isError, true);
      assert.deepEqual(asked, [`Apply ConfigMap demo/${name} (create or update)?`]);
      assert.notEqual((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'not created after a no');
      answer = { action: 'accept', content: { confirm: true } };
      const applied = await call(client, 'resources_apply', { manifest: configMap(name, 'demo') });
      assert.equal(applied.isError, false, applied.text);
      answer = { action: 'decline' };
      const restart = await call(client, 'rollout_restart', { kind: 'Deployment', namespace: 'demo', name: 'web' });
      assert.equal(restart.isError, true);
      assert.equal(asked.at(-1), 'Restart the pods of Deployment demo/web?');
    } finally {
      await client.close();
      await kubectl(admin(), 'delete', 'configmap', name, '-n', 'demo', '--ignore-not-found');
    }
  });

  test('apply that would create needs the create verb in the grant', async () => {
    const patchOnly = await opsServer({ verbs: 'get, list, patch, delete', settings: `
  overrides:
    kube-ops:
      settings: {confirmation: notRequired}
` });
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(patchOnly.url)));
    const name = `ops-${crypto.randomBytes(4).toString('hex')}`;
    try {
      const created = await call(client, 'resources_apply', { manifest: configMap(name, 'demo'), dryRun: true });
      assert.equal(created.isError, true, created.text);
      assert.match(created.text, new RegExp(`applying would create configmaps '${name}'`));
      assert.equal((await kubectl(admin(), 'create', 'configmap', name, '-n', 'demo')).code, 0);
      const updated = await call(client, 'resources_apply', { manifest: configMap(name, 'demo') });
      assert.equal(updated.isError, false, `patch is enough for what exists: ${updated.text}`);
    } finally {
      await client.close();
      await patchOnly.stop();
      await kubectl(admin(), 'delete', 'configmap', name, '-n', 'demo', '--ignore-not-found');
    }
  });

  test('a client that supports elicitation is asked first, and a "no" changes nothing', async () => {
    const name = `ops-${crypto.randomBytes(4).toString('hex')}`;
    assert.equal((await kubectl(admin(), 'create', 'configmap', name, '-n', 'demo')).code, 0);
    const asked = [];
    const client = new Client({ name: 'e2e', version: '1' }, { capabilities: { elicitation: {} } });
    let answer = { action: 'decline' };
    client.setRequestHandler(ElicitRequestSchema, (request) => { asked.push(request.params.message); return answer; });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    try {
      const declined = await call(client, 'resources_delete', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name });
      assert.equal(declined.isError, true);
      assert.match(declined.text, /declined; nothing was changed/);
      assert.deepEqual(asked, [`Delete ConfigMap demo/${name}?`]);
      assert.equal((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'still there');
      answer = { action: 'accept', content: { confirm: true } };
      const accepted = await call(client, 'resources_delete', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name });
      assert.equal(accepted.isError, false, accepted.text);
      assert.notEqual((await kubectl(admin(), 'get', 'configmap', name, '-n', 'demo')).code, 0, 'deleted after a yes');
    } finally {
      await client.close();
      await kubectl(admin(), 'delete', 'configmap', name, '-n', 'demo', '--ignore-not-found');
    }
  });
});
