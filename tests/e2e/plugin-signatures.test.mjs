// Signatures that cosign (v2, built from its Go module) makes are the ones
// kube-mcp verifies, and the other way round; and with
// plugins.requireSignatures, folder plugins need one too.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { required } from './lib/env.mjs';
import { binary, builtPlugin, startServer } from './lib/server.mjs';

const run = promisify(execFile);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-signatures-'));
const repo = `e2e-signatures-${process.pid}-${Date.now()}`;
const file = (name) => path.join(work, name);
// cosign's own keys are encrypted; an empty password, as in CI.
const cosignEnv = { ...process.env, COSIGN_PASSWORD: '', HOME: work };

async function kubeMcp(...args) {
  const { stdout } = await run(binary, ['plugin', ...args], { cwd: work });
  return stdout.trim();
}

async function cosign(...args) {
  return run(required('COSIGN'), args, { cwd: work, env: cosignEnv });
}

const text = (result) => result.content?.[0]?.text ?? '';

before(async () => {
  await cosign('generate-key-pair');
  await kubeMcp('keygen', '--output', file('ours'));
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('cosign and kube-mcp verify each other', () => {
  const registry = () => required('OCI_REGISTRY');

  test('a plugin signed by `cosign sign` loads from the registry', async () => {
    const pushed = await kubeMcp('push', builtPlugin('greeter-v1', 'test-plugins'), `oci://${registry()}/${repo}/greeter:1`);
    await cosign('sign', '--key', 'cosign.key', '--tlog-upload=false', '--allow-insecure-registry', '-y', pushed.replace('oci://', ''));
    const server = await startServer({
      args: ['--no-auth', '--config', writeConfig(`
plugins:
  trust:
    keys:
      - {name: cosign, publicKeyFile: ${file('cosign.pub')}, plugins: [greeter]}
  sources:
    - {name: greeter, ref: "oci://${registry()}/${repo}/greeter:1"}
`)],
    });
    try {
      const serving = await server.waitForLog((e) => e.message === 'plugin from registry is serving');
      assert.equal(serving.trust, "signed by 'cosign'");
      const client = new Client({ name: 'e2e', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      assert.equal(text(await client.callTool({ name: 'hello', arguments: {} })), 'hello from v1');
      await client.close();
    } finally {
      await server.stop();
    }
  });

  test('`cosign verify` accepts what `kube-mcp plugin sign` signed', async () => {
    const pushed = await kubeMcp('push', builtPlugin('greeter-v2', 'test-plugins'), `oci://${registry()}/${repo}/greeter:2`);
    await kubeMcp('sign', pushed, '--key', file('ours.key'));
    const { stdout } = await cosign('verify', '--key', 'ours.pub', '--insecure-ignore-tlog', '--allow-insecure-registry', pushed.replace('oci://', ''));
    const [payload] = JSON.parse(stdout);
    assert.equal(payload.critical.image['docker-manifest-digest'], pushed.split('@')[1]);
    assert.equal(payload.critical.identity['docker-reference'], `${registry()}/${repo}/greeter`);
    // A key cosign did not sign with fails there too.
    await assert.rejects(cosign('verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', '--allow-insecure-registry', pushed.replace('oci://', '')));
  });

  test('a signature cosign stores as an OCI 1.1 referrer is found and verified', async () => {
    const pushed = await kubeMcp('push', builtPlugin('greeter-v1', 'test-plugins'), `oci://${registry()}/${repo}/referred:1`);
    await run(required('COSIGN'), ['sign', '--key', 'cosign.key', '--tlog-upload=false', '--allow-insecure-registry',
      '--registry-referrers-mode=oci-1-1', '-y', pushed.replace('oci://', '')], { cwd: work, env: { ...cosignEnv, COSIGN_EXPERIMENTAL: '1' } });
    // No cosign-layout `.sig` tag: only the referrer.
    const { stdout: tags } = await run(required('CRANE'), ['ls', '--insecure', `${registry()}/${repo}/referred`]);
    assert.ok(!tags.includes('.sig'), tags);
    const verified = await kubeMcp('verify', `oci://${registry()}/${repo}/referred:1`, '--key', file('cosign.pub'), '--name', 'greeter');
    assert.match(verified, /plugin 'greeter' is signed by trusted key/);
    await assert.rejects(kubeMcp('verify', `oci://${registry()}/${repo}/referred:1`, '--key', file('ours.pub'), '--name', 'greeter'),
      /a signature by a key that is not in plugins\.trust/);
  });

  test('detached signatures: `cosign sign-blob` and `kube-mcp plugin sign FILE` are interchangeable', async () => {
    fs.copyFileSync(builtPlugin('greeter-v1', 'test-plugins'), file('blob.wasm'));
    await cosign('sign-blob', '--key', 'cosign.key', '--tlog-upload=false', '-y', '--output-signature', 'blob.wasm.sig', 'blob.wasm');
    assert.match(await kubeMcp('verify', file('blob.wasm'), '--key', file('cosign.pub'), '--name', 'greeter'), /signed by trusted key/);
    await kubeMcp('sign', file('blob.wasm'), '--key', file('ours.key'));
    await cosign('verify-blob', '--key', 'ours.pub', '--insecure-ignore-tlog', '--signature', 'blob.wasm.sig', 'blob.wasm');
  });
});

function writeConfig(yaml) {
  const name = file(`config-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(name, yaml);
  return name;
}

describe('plugins.requireSignatures: folder plugins need a trusted detached signature', () => {
  let server;
  let client;
  const folder = file('plugins');

  before(async () => {
    fs.mkdirSync(folder);
    // greeter: signed by cosign sign-blob. kube-ops: by kube-mcp. kube-core: not at all.
    fs.copyFileSync(builtPlugin('greeter-v1', 'test-plugins'), path.join(folder, 'greeter.wasm'));
    await cosign('sign-blob', '--key', 'cosign.key', '--tlog-upload=false', '-y', '--output-signature', path.join(folder, 'greeter.wasm.sig'), path.join(folder, 'greeter.wasm'));
    fs.copyFileSync(builtPlugin('kube-ops'), path.join(folder, 'kube-ops.wasm'));
    await kubeMcp('sign', path.join(folder, 'kube-ops.wasm'), '--key', file('ours.key'));
    fs.copyFileSync(builtPlugin('kube-core'), path.join(folder, 'kube-core.wasm'));
    server = await startServer({
      plugins: folder,
      args: ['--no-auth', '--metrics-listen', '127.0.0.1:0', '--config', writeConfig(`
plugins:
  requireSignatures: true
  trust:
    keys:
      - {name: cosign, publicKeyFile: ${file('cosign.pub')}, plugins: [greeter]}
      - {name: ours, publicKeyFile: ${file('ours.pub')}, plugins: [kube-ops]}
`)],
    });
    client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  });

  after(async () => {
    await client?.close();
    await server?.stop();
  });

  test('signed plugins load; an unsigned one is refused, with the reason and a metric', async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(tools.includes('hello'));
    assert.ok(tools.includes('resources_delete'));
    assert.ok(!tools.includes('list_pods'), 'unsigned kube-core was loaded');
    const refusal = await server.waitForLog((e) => e.message?.startsWith('refused plugin') && e.path?.endsWith('kube-core.wasm'));
    assert.equal(refusal.reason, 'unsigned');
    assert.match(refusal.message, /plugins\.requireSignatures is on, and there is no kube-core\.wasm\.sig next to it/);
    const { addr } = await server.waitForLog((e) => e.message === 'serving metrics');
    const metrics = await (await fetch(`http://${addr}/metrics`)).text();
    assert.match(metrics, /kube_mcp_plugin_refusals_total\{plugin="kube-core",reason="unsigned"\} 1/);
  });

  test('a signature by a key not trusted for that plugin is refused', async () => {
    const from = server.log.length;
    await kubeMcp('sign', path.join(folder, 'kube-core.wasm'), '--key', file('ours.key'));
    const refusal = await server.waitForLog((e) => server.log.indexOf(e) >= from && e.reason === 'untrusted' && e.path?.endsWith('kube-core.wasm'));
    assert.match(refusal.message, /trusted key 'ours', which plugins\.trust does not allow to sign plugin 'kube-core'/);
  });

  test('a changed file no longer matches its signature; the previous version keeps serving', async () => {
    const from = server.log.length;
    const changed = Buffer.concat([fs.readFileSync(builtPlugin('greeter-v2', 'test-plugins'))]);
    fs.writeFileSync(path.join(folder, 'greeter.wasm.tmp'), changed);
    fs.renameSync(path.join(folder, 'greeter.wasm.tmp'), path.join(folder, 'greeter.wasm'));
    const refusal = await server.waitForLog((e) => server.log.indexOf(e) >= from && e.reason === 'bad_signature' && e.path?.endsWith('greeter.wasm'));
    assert.match(refusal.message, /does not verify with any key trusted for it/);
    assert.equal(text(await client.callTool({ name: 'hello', arguments: {} })), 'hello from v1');
    // Signed by the key trusted for it, v2 loads.
    const signed = server.log.length;
    await cosign('sign-blob', '--key', 'cosign.key', '--tlog-upload=false', '-y', '--output-signature', path.join(folder, 'greeter.wasm.sig'), path.join(folder, 'greeter.wasm'));
    await server.waitForLog((e) => server.log.indexOf(e) >= signed && e.message === 'loaded plugin' && e.plugin === 'greeter');
    assert.equal(text(await client.callTool({ name: 'hello', arguments: {} })), 'hello from v2');
  });
});
