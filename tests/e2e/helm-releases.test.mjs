// The helm plugin against releases the real Helm v3 and v4 binaries made
// on the control plane: two namespaces, one release with three revisions
// (installed and upgraded by v3, upgraded again by v4), one installed,
// upgraded and rolled back by v4, one failed, one uninstalled with its
// history kept. Every read agrees
// field for field with both Helm CLIs' JSON. The plugin's grant is
// narrowed to Helm's records: no other Secret is reachable with it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { kubectl, required } from './lib/env.mjs';
import { serveGranted } from './lib/granted.mjs';

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

/** `helm` (v3) or `helm4` with the admin kubeconfig; its parsed JSON output. */
async function helm(binary, ...args) {
  const { stdout } = await run(binary, [...args, '--kubeconfig', required('KUBECONFIG')], { maxBuffer: 64 << 20, env: { ...process.env, ...helmEnv } });
  return stdout;
}
/** Extra environment for the Helm CLIs (HELM_DRIVER). */
let helmEnv = {};
const helmJson = async (binary, ...args) => JSON.parse(await helm(binary, ...args, '-o', 'json'));

const serve = serveGranted;

describe('helm plugin: releases made by Helm v3 and v4', () => {
  let s;
  before(async () => {
    for (const ns of [nsA, nsB]) await kubectl(required('KUBECONFIG'), 'create', 'namespace', ns);
    await helm('helm', 'install', 'first', chart, '-n', nsA, '--set', 'greeting=hi');
    await helm('helm', 'upgrade', 'first', chart, '-n', nsA, '--set', 'greeting=hey');
    await helm('helm4', 'upgrade', 'first', chart, '-n', nsA, '--set', 'replicas=2');
    await helm('helm4', 'install', 'second', chart, '-n', nsB, '--set', 'image=ghcr.io/example/shelf:2.0');
    await helm('helm4', 'upgrade', 'second', chart, '-n', nsB, '--set', 'greeting=up');
    await helm('helm4', 'rollback', 'second', '1', '-n', nsB);
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
      assert.deepEqual(ours.structured.config, theirs.config, `${binary} config`);
      const withoutSecrets = (m) => m.split(/^---$/m).filter((d) => !/kind: Secret/.test(d)).join('---').trim();
      assert.equal(withoutSecrets(ours.structured.manifest), withoutSecrets(theirs.manifest), `${binary} manifest, its Secrets aside`);
      assert.ok(!ours.structured.manifest.includes('s3cret'));
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
    // Rolled back by Helm 4 itself.
    const rolled = await s.call('helm_history', { name: 'second', namespace: nsB });
    // Helm 4 also shows which revision a rollback went back to; Helm 3 does not.
    assert.deepEqual(rolled.structured.rows, await helmJson('helm4', 'history', 'second', '-n', nsB), 'helm 4');
    const v3 = rolled.structured.rows.map(({ rollback_revision: _, ...row }) => row);
    assert.deepEqual(v3, await helmJson('helm', 'history', 'second', '-n', nsB), 'helm 3');
    assert.equal(rolled.structured.rows.at(-1).rollback_revision, 1);
    assert.equal(rolled.structured.rows.at(-1).description, 'Rollback to 1');
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

describe('helm plugin: rollback and uninstall, as the Helm CLI reads them', () => {
  const ns = `helm-c-${suffix}`;
  let s;
  const k = async (...args) => {
    const { code, stdout, stderr } = await kubectl(required('KUBECONFIG'), '-n', ns, ...args);
    return { code, stdout: stdout.trim(), stderr };
  };
  const greeting = async (release) => (await k('get', 'configmap', `${release}-config`, '-o', 'jsonpath={.data.greeting}')).stdout;
  before(async () => {
    await kubectl(required('KUBECONFIG'), 'create', 'namespace', ns);
    await helm('helm', 'install', 'roll', chart, '-n', ns, '--set', 'greeting=one');
    await helm('helm4', 'upgrade', 'roll', chart, '-n', ns, '--set', 'greeting=two');
    await helm('helm', 'upgrade', 'roll', chart, '-n', ns, '--set', 'greeting=three');
    for (const name of ['ours', 'theirs', 'kept']) await helm('helm4', 'install', name, chart, '-n', ns);
    // Records narrowed as for reads; the writes a rollback of this chart needs, in this namespace.
    s = await serve([['helm']], `${helmGrant('helm')}
      - {verbs: [get, create, patch, delete], apiGroups: ["", apps], resources: [configmaps, secrets, deployments], namespaces: [${ns}]}`);
  });
  after(async () => {
    await s?.client.close();
    await s?.server.stop();
    await kubectl(required('KUBECONFIG'), 'delete', 'namespace', ns, '--wait=false');
  });

  test('a dry run and a missing revision change nothing', async () => {
    const dry = await s.call('helm_rollback', { name: 'roll', namespace: ns, toRevision: 1, dryRun: true });
    assert.equal(dry.isError, false, dry.text);
    assert.match(dry.text, new RegExp(`^dry run: would roll back release ${ns}/roll from revision 3 to 1 \\(as revision 4\\): apply 4 object\\(s\\); nothing was changed$`));
    const missing = await s.call('helm_rollback', { name: 'roll', namespace: ns, toRevision: 9 });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /has no revision 9 to roll back to \(it has 1, 2, 3\); nothing was changed/);
    assert.equal((await helmJson('helm', 'history', 'roll', '-n', ns)).length, 3);
    assert.equal(await greeting('roll'), 'three');
  });

  test('helm_rollback: Helm v3 and v4 see a rollback, and the objects are that revision\'s', async () => {
    const r = await s.call('helm_rollback', { name: 'roll', namespace: ns, toRevision: 1 });
    assert.equal(r.isError, false, r.text);
    assert.equal(r.text, `release ${ns}/roll rolled back to revision 1: now revision 4, deployed`);
    assert.match(s.asked.at(-1), new RegExp(`^Roll back release ${ns}/roll from revision 3 to 1`));
    for (const binary of ['helm', 'helm4']) {
      const history = await helmJson(binary, 'history', 'roll', '-n', ns);
      assert.deepEqual(history.map((h) => [h.revision, h.status, h.description]), [
        [1, 'superseded', 'Install complete'], [2, 'superseded', 'Upgrade complete'],
        [3, 'superseded', 'Upgrade complete'], [4, 'deployed', 'Rollback to 1'],
      ], binary);
      if (binary === 'helm4') assert.equal(history.at(-1).rollback_revision, 1, 'Helm 4 reads the revision it went back to');
      const status = await helmJson(binary, 'status', 'roll', '-n', ns);
      assert.equal(status.version, 4);
      assert.equal(status.info.status, 'deployed');
    }
    assert.equal(await greeting('roll'), 'one');
    assert.equal((await k('get', 'configmap', 'roll-config', '-o', 'jsonpath={.data.revision}')).stdout, '1', 'revision 1\'s manifest');
    assert.equal(
      (await helm('helm', 'get', 'manifest', 'roll', '-n', ns)).trim(),
      (await helm('helm', 'get', 'manifest', 'roll', '-n', ns, '--revision', '1')).trim(),
    );
  });

  test('the Helm CLI rolls forward again afterwards', async () => {
    await helm('helm', 'rollback', 'roll', '3', '-n', ns);
    assert.equal(await greeting('roll'), 'three');
    const history = await helmJson('helm4', 'history', 'roll', '-n', ns);
    assert.deepEqual(history.at(-1), { ...history.at(-1), revision: 5, status: 'deployed', description: 'Rollback to 3' });
    assert.equal(history.at(-2).status, 'superseded');
  });

  test('helm_uninstall leaves what helm uninstall leaves, and helm list no longer shows it', async () => {
    const dry = await s.call('helm_uninstall', { name: 'ours', namespace: ns, dryRun: true });
    assert.equal(dry.text, `dry run: would uninstall release ${ns}/ours: delete 3 object(s), keep configmaps ${ns}/ours-kept (helm.sh/resource-policy: keep), delete its records; nothing was changed`);
    assert.equal((await k('get', 'configmap', 'ours-config')).code, 0, 'the dry run deleted nothing');
    const r = await s.call('helm_uninstall', { name: 'ours', namespace: ns });
    assert.equal(r.isError, false, r.text);
    assert.equal(r.text, `release ${ns}/ours uninstalled: 3 object(s) deleted, 1 kept by helm.sh/resource-policy`);
    await helm('helm', 'uninstall', 'theirs', '-n', ns);
    const left = async (release) => {
      const { stdout } = await k('get', 'configmaps,secrets,deployments', '-o', 'name');
      return stdout.split('\n').filter((n) => n.includes(`/${release}-`) || n.endsWith(`/${release}`) || n.includes(`.${release}.`))
        .map((n) => n.replace(release, 'R')).sort();
    };
    assert.deepEqual(await left('ours'), await left('theirs'));
    assert.deepEqual(await left('ours'), ['configmap/R-kept']);
    for (const binary of ['helm', 'helm4']) {
      const names = (await helmJson(binary, 'list', '-n', ns, ...(binary === 'helm' ? ['--all'] : []))).map((r) => r.name);
      assert.ok(!names.includes('ours'), `${binary}: ${names}`);
    }
  });

  test('helm_uninstall keeping history: helm lists it as uninstalled', async () => {
    const r = await s.call('helm_uninstall', { name: 'kept', namespace: ns, keepHistory: true });
    assert.equal(r.isError, false, r.text);
    const listed = await helmJson('helm', 'list', '-n', ns, '--uninstalled');
    assert.deepEqual(listed.map((l) => [l.name, l.status]), [['kept', 'uninstalled']]);
    const history = await helmJson('helm4', 'history', 'kept', '-n', ns);
    assert.equal(history.at(-1).description, 'Uninstallation complete');
    const again = await s.call('helm_uninstall', { name: 'kept', namespace: ns });
    assert.equal(again.isError, true);
    assert.match(again.text, /already uninstalled/);
  });
});

describe('helm plugin: Helm\'s ConfigMap driver', () => {
  const ns = `helm-d-${suffix}`;
  let s;
  before(async () => {
    await kubectl(required('KUBECONFIG'), 'create', 'namespace', ns);
    helmEnv = { HELM_DRIVER: 'configmap' };
    try {
      await helm('helm', 'install', 'mapped', chart, '-n', ns);
      await helm('helm4', 'upgrade', 'mapped', chart, '-n', ns, '--set', 'greeting=again');
    } finally {
      helmEnv = {};
    }
    s = await serve([['helm']], `
    helm:
      - {verbs: [list], apiGroups: [""], resources: [configmaps], namespaces: ["*"], labelSelector: owner=helm}
      - {verbs: [get], apiGroups: [""], resources: [configmaps], namespaces: ["*"], resourceNames: ["sh.helm.release.v1.*"]}`,
    `  overrides:
    helm: {settings: {driver: configmap}}
`);
  });
  after(async () => {
    await s?.client.close();
    await s?.server.stop();
    await kubectl(required('KUBECONFIG'), 'delete', 'namespace', ns, '--wait=false');
  });

  test('records kept as ConfigMaps read as Helm reads them', async () => {
    helmEnv = { HELM_DRIVER: 'configmap' };
    try {
      const list = await s.call('helm_list', { namespace: ns });
      assert.equal(list.isError, false, list.text);
      assert.deepEqual(list.structured.rows, await helmJson('helm', 'list', '-n', ns));
      const history = await s.call('helm_history', { name: 'mapped', namespace: ns });
      assert.deepEqual(history.structured.rows, await helmJson('helm4', 'history', 'mapped', '-n', ns));
    } finally {
      helmEnv = {};
    }
  });
});
