// The helm plugin against releases the real Helm v3 and v4 binaries made
// on the control plane: two namespaces, one release with three revisions
// (installed and upgraded by v3, upgraded again by v4), one installed by
// v4, one failed, one uninstalled with its history kept. Every read agrees
// field for field with both Helm CLIs' JSON. The plugin's grant is
// narrowed to Helm's records: no other Secret is reachable with it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { kubectl, required } from './lib/env.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const run = promisify(execFile);
const chart = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/charts/shelf');
const suffix = crypto.randomBytes(3).toString('hex');
const nsA = `helm-a-${suffix}`;
const nsB = `helm-b-${suffix}`;

/** The grant docs/configuration.md gives the helm plugin: Helm's records only. */
const helmGrant = (plugin) => `
    ${plugin}:
      - {verbs: [list], apiGroups: [""], resources: [secrets], namespaces: ["*"], labelSelector: owner=helm}
      - {verbs: [get], apiGroups: [""], resources: [secrets], namespaces: ["*"], resourceNames: ["sh.helm.release.v1.*"]}`;

function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-config-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

/** `helm` (v3) or `helm4` with the admin kubeconfig; its parsed JSON output. */
async function helm(binary, ...args) {
  const { stdout } = await run(binary, [...args, '--kubeconfig', required('KUBECONFIG')], { maxBuffer: 64 << 20 });
  return stdout;
}
const helmJson = async (binary, ...args) => JSON.parse(await helm(binary, ...args, '-o', 'json'));

async function serve(plugins, grants) {
  const server = await startServer({
    plugins: pluginsDir(...plugins.map(([name, kind]) => builtPlugin(name, kind))),
    args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', configFile(`
plugins:
  grants:${grants}
`)],
  });
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  const call = async (name, args = {}) => {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
    return { isError: result.isError === true, text: result.content[0]?.text ?? '', structured: result.structuredContent };
  };
  return { server, client, call };
}

describe('helm plugin: releases made by Helm v3 and v4', () => {
  let s;
  before(async () => {
    for (const ns of [nsA, nsB]) await kubectl(required('KUBECONFIG'), 'create', 'namespace', ns);
    await helm('helm', 'install', 'first', chart, '-n', nsA, '--set', 'greeting=hi');
    await helm('helm', 'upgrade', 'first', chart, '-n', nsA, '--set', 'greeting=hey');
    await helm('helm4', 'upgrade', 'first', chart, '-n', nsA, '--set', 'replicas=2');
    await helm('helm4', 'install', 'second', chart, '-n', nsB, '--set', 'image=ghcr.io/example/shelf:2.0');
    await helm('helm', 'install', 'gone', chart, '-n', nsA);
    await helm('helm', 'uninstall', 'gone', '-n', nsA, '--keep-history');
    // A ConfigMap with an invalid name: the install fails, the release is recorded as failed.
    await assert.rejects(helm('helm', 'install', 'broken', chart, '-n', nsB, '--set', 'broken=true'));
    // A record Helm would not read either.
    await kubectl(required('KUBECONFIG'), '-n', nsB, 'create', 'secret', 'generic', 'sh.helm.release.v1.corrupt.v1',
      '--type', 'helm.sh/release.v1', '--from-literal', 'release=not-a-release');
    await kubectl(required('KUBECONFIG'), '-n', nsB, 'label', 'secret', 'sh.helm.release.v1.corrupt.v1', 'owner=helm', 'name=corrupt', 'version=1', 'status=deployed');
    s = await serve([['helm']], helmGrant('helm'));
  });
  after(async () => {
    await s?.client.close();
    await s?.server.stop();
    for (const ns of [nsA, nsB]) await kubectl(required('KUBECONFIG'), 'delete', 'namespace', ns, '--wait=false');
  });

  const mine = (rows) => rows.filter((r) => r.namespace === nsA || r.namespace === nsB);

  test('helm_list: the rows helm list -o json writes, for v3 and v4 alike', async () => {
    const ours = await s.call('helm_list');
    assert.equal(ours.isError, false, ours.text);
    // Helm 3 lists deployed and failed releases by default; Helm 4 every
    // status unless asked for these two.
    assert.deepEqual(mine(ours.structured.rows), mine(await helmJson('helm', 'list', '-A')), 'helm 3');
    assert.deepEqual(mine(ours.structured.rows), mine(await helmJson('helm4', 'list', '-A', '--deployed', '--failed')), 'helm 4');
    const names = mine(ours.structured.rows).map((r) => `${r.name}:${r.status}`);
    assert.deepEqual(names.sort(), ['broken:failed', 'first:deployed', 'second:deployed']);
    assert.match(ours.text, /^NAME +NAMESPACE +REVISION +UPDATED +STATUS +CHART +APP VERSION\n/);
    assert.match(ours.text, /Skipped 1 corrupt record\(s\): helm-b-\w+\/sh\.helm\.release\.v1\.corrupt\.v1: its release is not base64/);
  });

  test('helm_list all, and one namespace: as helm list --all and -n', async () => {
    const all = await s.call('helm_list', { all: true });
    assert.deepEqual(mine(all.structured.rows), mine(await helmJson('helm', 'list', '-A', '--all')), 'helm 3 --all');
    assert.deepEqual(mine(all.structured.rows), mine(await helmJson('helm4', 'list', '-A')), 'helm 4 default');
    assert.ok(mine(all.structured.rows).some((r) => r.name === 'gone' && r.status === 'uninstalled'));
    const one = await s.call('helm_list', { namespace: nsA });
    assert.deepEqual(one.structured.rows, await helmJson('helm', 'list', '-n', nsA));
    const uninstalled = await s.call('helm_list', { statuses: ['uninstalled'] });
    assert.deepEqual(mine(uninstalled.structured.rows), mine(await helmJson('helm4', 'list', '-A', '--uninstalled')));
  });

  test('helm_status: as helm status -o json', async () => {
    const ours = await s.call('helm_status', { name: 'first', namespace: nsA });
    assert.equal(ours.isError, false, ours.text);
    for (const binary of ['helm', 'helm4']) {
      const theirs = await helmJson(binary, 'status', 'first', '-n', nsA);
      assert.equal(ours.structured.name, theirs.name);
      assert.equal(ours.structured.namespace, theirs.namespace);
      assert.equal(ours.structured.version, theirs.version);
      for (const key of ['first_deployed', 'last_deployed', 'description', 'status', 'notes']) {
        assert.equal(ours.structured.info[key], theirs.info[key], `${binary} info.${key}`);
      }
    }
    assert.match(ours.text, new RegExp(`^NAME: first\nLAST DEPLOYED: .*\nNAMESPACE: ${nsA}\nSTATUS: deployed\nREVISION: 3\nCHART: shelf-0.1.0\nAPP VERSION: 1.0\nDESCRIPTION: Upgrade complete\nNOTES:\nfirst is on the shelf, revision 3.$`));
    const old = await s.call('helm_status', { name: 'first', namespace: nsA, revision: 1 });
    assert.equal(old.structured.info.status, 'superseded');
  });

  test('helm_get values: user-supplied and all computed, as helm get values', async () => {
    for (const binary of ['helm', 'helm4']) {
      const user = await s.call('helm_get', { name: 'first', namespace: nsA, what: 'values' });
      assert.deepEqual(user.structured.values, await helmJson(binary, 'get', 'values', 'first', '-n', nsA));
      const all = await s.call('helm_get', { name: 'first', namespace: nsA, what: 'values', allValues: true });
      assert.deepEqual(all.structured.values, await helmJson(binary, 'get', 'values', 'first', '-n', nsA, '--all'));
      const first = await s.call('helm_get', { name: 'first', namespace: nsA, what: 'values', revision: 1 });
      assert.deepEqual(first.structured.values, await helmJson(binary, 'get', 'values', 'first', '-n', nsA, '--revision', '1'));
    }
  });

  test('helm_get manifest and notes: as helm get, with Secret values redacted', async () => {
    const ours = await s.call('helm_get', { name: 'second', namespace: nsB, what: 'manifest' });
    const theirs = await helm('helm', 'get', 'manifest', 'second', '-n', nsB);
    assert.ok(!ours.text.includes('s3cret'), 'the password is redacted');
    assert.match(ours.text, /password: <redacted>/);
    const withoutSecret = (m) => m.split(/^---$/m).filter((d) => !/kind: Secret/.test(d)).join('---');
    assert.equal(withoutSecret(ours.text).trim(), withoutSecret(theirs).trim(), 'every other document as Helm stored it');
    const notes = await s.call('helm_get', { name: 'second', namespace: nsB, what: 'notes' });
    assert.equal(notes.text.trim(), (await helm('helm4', 'get', 'notes', 'second', '-n', nsB)).replace(/^NOTES:\n/, '').trim());
  });

  test('helm_history: as helm history -o json', async () => {
    const ours = await s.call('helm_history', { name: 'first', namespace: nsA });
    assert.equal(ours.isError, false, ours.text);
    for (const binary of ['helm', 'helm4']) {
      assert.deepEqual(ours.structured.rows, await helmJson(binary, 'history', 'first', '-n', nsA), binary);
    }
    assert.deepEqual(ours.structured.rows.map((r) => r.status), ['superseded', 'superseded', 'deployed']);
    const last = await s.call('helm_history', { name: 'first', namespace: nsA, max: 1 });
    assert.deepEqual(last.structured.rows.map((r) => r.revision), [3]);
  });

  test('bad input: an unknown release, a missing revision, a corrupt record — clear errors', async () => {
    const unknown = await s.call('helm_status', { name: 'nope', namespace: nsA });
    assert.equal(unknown.isError, true);
    assert.equal(unknown.text, `release ${nsA}/nope not found (helm_list shows the releases)`);
    const missing = await s.call('helm_get', { name: 'first', namespace: nsA, what: 'values', revision: 9 });
    assert.equal(missing.isError, true);
    assert.equal(missing.text, `release ${nsA}/first has no revision 9 (it has 1, 2, 3)`);
    const corrupt = await s.call('helm_history', { name: 'corrupt', namespace: nsB });
    assert.equal(corrupt.isError, true);
    assert.match(corrupt.text, /^release helm-b-\w+\/corrupt has only corrupt records: .*its release is not base64/);
  });
});

describe('a grant narrowed to Helm\'s records', () => {
  let s;
  before(async () => {
    s = await serve([['hostile', 'test-plugins']], helmGrant('hostile').replaceAll('namespaces: ["*"]', 'namespaces: [demo]'));
  });
  after(async () => { await s?.client.close(); await s?.server.stop(); });

  test('reaches no ordinary Secret in the same namespace, and names the narrowing', async () => {
    const stolen = await s.call('steal_secret');
    assert.equal(stolen.isError, true);
    assert.match(stolen.text, /^denied by grant: get on secrets in namespace demo .*only for names sh\.helm\.release\.v1\.\*; this request is for 'app-secret'/);
    const unlabelled = await s.call('list_secrets_unlabelled');
    assert.match(unlabelled.text, /only for lists selecting, and objects labelled, owner=helm/);
    const forged = await s.call('list_secrets_forged');
    assert.equal(forged.isError, true);
  });

  test('lists what it is granted, and nothing else comes back', async () => {
    const records = await s.call('read_release_records');
    assert.equal(records.isError, false, records.text);
    const list = JSON.parse(records.text);
    assert.ok(list.items.every((i) => i.metadata.labels?.owner === 'helm'));
  });
});
