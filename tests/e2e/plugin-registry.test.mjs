// Plugins pulled from a real OCI registry (go-containerregistry's, on
// loopback), signed with cosign-layout signatures and pinned by digest:
// what runs is only ever code a trusted key signed or the operator pinned,
// and every refusal leaves the previous version serving.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { required } from './lib/env.mjs';
import { binary, builtPlugin, startServer, freePort } from './lib/server.mjs';

const run = promisify(execFile);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-registry-'));
// Manifests live in the shared registry's memory: a repository per run.
const repoPrefix = `e2e-${process.pid}-${Date.now()}`;

/** Runs `kube-mcp plugin ARGS`; never throws. */
async function plugin(...args) {
  try {
    const { stdout, stderr } = await run(binary, ['plugin', ...args], { cwd: work });
    return { code: 0, stdout: stdout.trim(), stderr };
  } catch (e) {
    return { code: e.code, stdout: (e.stdout ?? '').trim(), stderr: e.stderr ?? String(e) };
  }
}

async function ok(...args) {
  const r = await plugin(...args);
  assert.equal(r.code, 0, `kube-mcp plugin ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The same component with one more custom section: a new build, a new digest. */
function rebuilt(file, label) {
  const bytes = fs.readFileSync(file);
  const name = Buffer.from('kube-mcp-e2e');
  const payload = Buffer.from(label);
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  assert.ok(body.length < 128);
  const out = path.join(work, `${path.basename(file, '.wasm')}-${label}.wasm`);
  fs.writeFileSync(out, Buffer.concat([bytes, Buffer.from([0, body.length]), body]));
  return out;
}

/** `oci://…@sha256:…` → `sha256:…`. */
const digestOf = (ref) => ref.split('@')[1];

/**
 * A registry that lies: forwards to `target`, but corrupts the blobs in
 * `tamper.blobs` and answers the manifests in `tamper.manifests` (by
 * digest) with other bytes, as a compromised registry or mirror would.
 */
async function startLyingRegistry(target, { auth } = {}) {
  const tamper = { blobs: new Set(), grown: new Set(), manifests: new Map() };
  const token = `tok-${Math.random().toString(36).slice(2)}`;
  const basic = auth && `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  const seen = { authorized: 0, refused: 0 };
  const server = http.createServer(async (req, res) => {
    if (auth) {
      // As a real registry: Basic, or Bearer tokens from a token endpoint
      // that takes the Basic credentials (Docker Hub, GHCR, Harbor).
      const self = `http://${req.headers.host}`;
      if (auth.mode === 'bearer' && req.url.startsWith('/token')) {
        if (req.headers.authorization !== basic) { seen.refused++; res.writeHead(401).end(); return; }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
        return;
      }
      const expected = auth.mode === 'bearer' ? `Bearer ${token}` : basic;
      if (req.headers.authorization !== expected) {
        seen.refused++;
        const challenge = auth.mode === 'bearer'
          ? `Bearer realm="${self}/token",service="lying",scope="repository:x:pull"`
          : 'Basic realm="lying"';
        res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
      seen.authorized++;
    }
    const upstream = await fetch(`http://${target}${req.url}`, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } });
    let body = Buffer.from(await upstream.arrayBuffer());
    const blob = req.url.match(/\/blobs\/(sha256:[0-9a-f]{64})$/);
    const manifest = req.url.match(/\/manifests\/(sha256:[0-9a-f]{64})$/);
    if (blob && tamper.blobs.has(blob[1]) && body.length > 0) {
      body = Buffer.from(body);
      body[body.length - 1] ^= 0xff;
    }
    if (blob && tamper.grown.has(blob[1])) body = Buffer.concat([body, Buffer.alloc(4 << 20)]);
    if (manifest && tamper.manifests.has(manifest[1])) body = tamper.manifests.get(manifest[1]);
    const headers = {};
    for (const name of ['content-type', 'docker-content-digest']) {
      const value = upstream.headers.get(name);
      if (value) headers[name] = value;
    }
    headers['content-length'] = body.length;
    res.writeHead(upstream.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { addr: `127.0.0.1:${server.address().port}`, tamper, seen, close: () => new Promise((r) => server.close(r)) };
}

function config(yaml) {
  const file = path.join(work, `config-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, yaml);
  return file;
}

async function connect(server) {
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  return client;
}

const text = (result) => result.content?.[0]?.text ?? '';

async function metrics(server) {
  const { addr } = await server.waitForLog((e) => e.message === 'serving metrics');
  return (await fetch(`http://${addr}/metrics`)).text();
}

/** Waits for the source's log line that matches `match`, after `from` lines. */
function waitForSource(server, from, match, ms = 30_000) {
  return server.waitForLog((e) => server.log.indexOf(e) >= from && match(e), ms);
}

describe('plugins from an OCI registry, signed and pinned', () => {
  const registry = required('OCI_REGISTRY');
  let lying;
  let server;
  let client;
  const key = (name) => path.join(work, name);
  const refs = {};

  before(async () => {
    lying = await startLyingRegistry(registry);
    await ok('keygen', '--output', key('release'));
    await ok('keygen', '--output', key('ops'), '--algorithm', 'ed25519');
    await ok('keygen', '--output', key('stranger'));

    // greeter: v1 by tag (through the lying registry), signed by `release`.
    const greeter = `oci://${registry}/${repoPrefix}/greeter`;
    refs.v1 = await ok('push', builtPlugin('greeter-v1', 'test-plugins'), `${greeter}:v1`);
    await ok('sign', refs.v1, '--key', key('release.key'));
    await run(required('CRANE'), ['tag', '--insecure', `${registry}/${repoPrefix}/greeter:v1`, 'stable']);
    // kube-core: its manifest rewritten to claim another name and every
    // capability; signed, so it loads, under the grants of its configured name.
    const core = await ok('push', builtPlugin('kube-core'), `oci://${registry}/${repoPrefix}/kube-core:claims`);
    const manifestUrl = `http://${registry}/v2/${repoPrefix}/kube-core/manifests/${digestOf(core)}`;
    const manifest = await (await fetch(manifestUrl, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json();
    manifest.annotations['dev.kube-mcp.plugin.name'] = 'kube-ops';
    manifest.annotations['dev.kube-mcp.plugin.capabilities'] = JSON.stringify([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'] }]);
    const put = await fetch(`http://${registry}/v2/${repoPrefix}/kube-core/manifests/1`, {
      method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: JSON.stringify(manifest),
    });
    assert.equal(put.status, 201);
    await ok('sign', `oci://${registry}/${repoPrefix}/kube-core:1`, '--key', key('release.key'));
    // kube-ops: pinned by digest, unsigned: the pin is the trust.
    refs.ops = await ok('push', builtPlugin('kube-ops'), `oci://${registry}/${repoPrefix}/kube-ops:1`);

    server = await startServer({
      args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--metrics-listen', '127.0.0.1:0', '--config', config(`
plugins:
  registry:
    pollInterval: 300ms
  trust:
    keys:
      - name: release
        publicKeyFile: ${key('release.pub')}
        plugins: [greeter]
        repositories: ["${registry}/${repoPrefix}/kube-core"]
      - name: ops
        publicKeyFile: ${key('ops.pub')}
        plugins: [kube-ops]
  sources:
    - name: greeter
      ref: oci://${lying.addr}/${repoPrefix}/greeter:stable
    - name: kube-core
      ref: oci://${registry}/${repoPrefix}/kube-core:1
    - name: kube-ops
      ref: oci://${registry}/${repoPrefix}/kube-ops@${digestOf(refs.ops)}
  grants:
    kube-core:
      - {verbs: [list], apiGroups: [""], resources: [pods], namespaces: [demo]}
    kube-ops:
      - {verbs: ["*"], apiGroups: ["*"], resources: ["*"], namespaces: ["*"]}
`)],
    });
    for (const name of ['greeter', 'kube-core', 'kube-ops']) {
      await server.waitForLog((e) => e.message === 'plugin from registry is serving' && e.plugin === name);
    }
    client = await connect(server);
  });

  after(async () => {
    await client?.close();
    await server?.stop();
    await lying?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('a server with sources only serves the pulled plugins, ready', async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    for (const name of ['hello', 'list_pods', 'resources_delete']) assert.ok(tools.includes(name), `${name} in ${tools}`);
    assert.equal(text(await client.callTool({ name: 'hello', arguments: {} })), 'hello from v1');
    const ready = await fetch(`${server.base}/readyz`);
    assert.equal(ready.status, 200);
    const loaded = server.log.filter((e) => e.message === 'plugin from registry is serving');
    assert.match(loaded.find((e) => e.plugin === 'greeter').trust, /signed by 'release'/);
    assert.equal(loaded.find((e) => e.plugin === 'kube-ops').trust, 'pinned digest');
    assert.equal(loaded.find((e) => e.plugin === 'kube-ops').digest, digestOf(refs.ops));
    const m = await metrics(server);
    assert.match(m, /kube_mcp_plugin_source_ready\{plugin="greeter"\} 1/);
  });

  test('grants bind to the configured name, not to what the artifact claims', async () => {
    const demo = await client.callTool({ name: 'list_pods', arguments: { namespace: 'demo' } });
    assert.notEqual(demo.isError, true, text(demo));
    const elsewhere = await client.callTool({ name: 'list_pods', arguments: { namespace: 'kube-system' } });
    assert.equal(elsewhere.isError, true);
    assert.match(text(elsewhere), /denied by grant: list on pods in namespace kube-system is not allowed/);
  });

  test('re-tagging to a new signed build swaps it in without a restart', async () => {
    refs.v2 = await ok('push', builtPlugin('greeter-v2', 'test-plugins'), `oci://${registry}/${repoPrefix}/greeter:v2`);
    await ok('sign', refs.v2, '--key', key('release.key'));
    const from = server.log.length;
    await run(required('CRANE'), ['tag', '--insecure', `${registry}/${repoPrefix}/greeter:v2`, 'stable']);
    const swapped = await waitForSource(server, from, (e) => e.message === 'plugin from registry is serving' && e.plugin === 'greeter');
    assert.equal(swapped.digest, digestOf(refs.v2));
    assert.equal(swapped.replaced, digestOf(refs.v1));
    assert.equal(text(await client.callTool({ name: 'hello', arguments: {} })), 'hello from v2');
  });

  /** Moves `stable` to `file` (prepared by `prepare`) and waits for the refusal. */
  async function refusedMove(label, prepare) {
    const pushed = await ok('push', rebuilt(builtPlugin('greeter-v1', 'test-plugins'), label), `oci://${registry}/${repoPrefix}/greeter:${label}`);
    await prepare?.(pushed);
    const from = server.log.length;
    await run(required('CRANE'), ['tag', '--insecure', `${registry}/${repoPrefix}/greeter:${label}`, 'stable']);
    const refusal = await waitForSource(server, from, (e) => e.plugin === 'greeter' && /refused plugin from registry/.test(e.message ?? ''));
    assert.equal(refusal.digest, digestOf(pushed));
    assert.equal(refusal.serving, digestOf(refs.v2), 'the previous version is named as serving');
    // And it does serve.
    assert.equal(text(await client.callTool({ name: 'hello', arguments: {} })), 'hello from v2');
    return refusal;
  }

  test('an unsigned build is refused; the previous keeps serving', async () => {
    const refusal = await refusedMove('unsigned');
    assert.equal(refusal.reason, 'unsigned');
    assert.match(refusal.message, /it is not signed \(no cosign signature for sha256:[0-9a-f]{64}: neither the sha256-[0-9a-f]{64}\.sig tag nor an OCI referrer\)/);
  });

  test('a signature by an untrusted key, or by a key trusted for another plugin, is refused', async () => {
    const stranger = await refusedMove('stranger', (ref) => ok('sign', ref, '--key', key('stranger.key')));
    assert.equal(stranger.reason, 'untrusted');
    assert.match(stranger.message, /a signature by a key that is not in plugins\.trust/);
    const ops = await refusedMove('ops-signed', (ref) => ok('sign', ref, '--key', key('ops.key')));
    assert.equal(ops.reason, 'untrusted');
    assert.match(ops.message, /trusted key 'ops', which plugins\.trust does not allow to sign plugin 'greeter'/);
  });

  test('a signature copied from another build is refused', async () => {
    const replayed = await refusedMove('replayed', async (ref) => {
      // The genuine signature manifest of v2, served as this build's.
      const v2sig = `${registry}/${repoPrefix}/greeter:sha256-${digestOf(refs.v2).slice(7)}.sig`;
      await run(required('CRANE'), ['copy', '--insecure', v2sig, `${registry}/${repoPrefix}/greeter:sha256-${digestOf(ref).slice(7)}.sig`]);
    });
    assert.equal(replayed.reason, 'untrusted');
    assert.match(replayed.message, new RegExp(`a signature by 'release' of another artifact \\(${digestOf(refs.v2)}\\)`));
  });

  test('a tampered blob is refused though its manifest is signed', async () => {
    const tampered = await refusedMove('tampered', async (ref) => {
      await ok('sign', ref, '--key', key('release.key'));
      const manifest = await (await fetch(`http://${registry}/v2/${repoPrefix}/greeter/manifests/${digestOf(ref)}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      })).json();
      lying.tamper.blobs.add(manifest.layers[0].digest);
    });
    assert.equal(tampered.reason, 'tampered');
    assert.match(tampered.message, /does not match its digest/);
  });

  test('a blob longer than its manifest says is cut off, not buffered', async () => {
    const grown = await refusedMove('grown', async (ref) => {
      await ok('sign', ref, '--key', key('release.key'));
      const manifest = await (await fetch(`http://${registry}/v2/${repoPrefix}/greeter/manifests/${digestOf(ref)}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      })).json();
      lying.tamper.grown.add(manifest.layers[0].digest);
    });
    assert.equal(grown.reason, 'tampered');
    assert.match(grown.message, /longer than the \d+ bytes its manifest declares/);
  });

  test('refusals are counted by plugin and reason', async () => {
    const m = await metrics(server);
    for (const reason of ['unsigned', 'untrusted', 'tampered']) {
      assert.match(m, new RegExp(`kube_mcp_plugin_refusals_total\\{plugin="greeter",reason="${reason}"\\} [1-9]`), m);
    }
  });

  test('plugin verify and pull agree with the server', async () => {
    const good = await plugin('verify', `oci://${registry}/${repoPrefix}/greeter:v2`, '--key', key('release.pub'));
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /plugin 'greeter' is signed by trusted key/);
    const bad = await plugin('verify', `oci://${registry}/${repoPrefix}/greeter:unsigned`, '--key', key('release.pub'));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /it is not signed/);
    const out = path.join(work, 'pulled.wasm');
    await ok('pull', `oci://${registry}/${repoPrefix}/greeter:v2`, '--key', key('release.pub'), '-o', out);
    assert.deepEqual(fs.readFileSync(out), fs.readFileSync(builtPlugin('greeter-v2', 'test-plugins')));
    const refused = await plugin('pull', `oci://${lying.addr}/${repoPrefix}/greeter:tampered`, '--key', key('release.pub'), '-o', path.join(work, 'x.wasm'));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /does not match its digest/);
    assert.equal(fs.existsSync(path.join(work, 'x.wasm')), false);
  });
});

describe('a source whose registry lies or is down', () => {
  const crane = () => required('CRANE');
  let port;
  let registry;
  let lying;
  let server;
  const key = (name) => path.join(work, name);
  let pinnedRef;

  function startRegistry() {
    const child = execFile(crane(), ['registry', 'serve', '--address', `127.0.0.1:${port}`]);
    return child;
  }

  async function registryUp() {
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`http://127.0.0.1:${port}/v2/`)).ok) return; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the registry did not start');
  }

  before(async () => {
    fs.mkdirSync(work, { recursive: true });
    await ok('keygen', '--output', key('down'));
    port = await freePort();
    // A digest to pin, from the shared registry, served wrong by a liar.
    const shared = required('OCI_REGISTRY');
    pinnedRef = await ok('push', builtPlugin('kube-ops'), `oci://${shared}/${repoPrefix}/pinned:1`);
    lying = await startLyingRegistry(shared);
    const other = await (await fetch(`http://${shared}/v2/${repoPrefix}/pinned/manifests/1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    })).json();
    other.annotations['org.opencontainers.image.version'] = '6.6.6';
    lying.tamper.manifests.set(digestOf(pinnedRef), Buffer.from(JSON.stringify(other)));

    server = await startServer({
      args: ['--no-auth', '--metrics-listen', '127.0.0.1:0', '--config', config(`
plugins:
  registry:
    pollInterval: 300ms
  trust:
    keys:
      - name: down
        publicKeyFile: ${key('down.pub')}
        plugins: [greeter]
  sources:
    - name: greeter
      ref: oci://127.0.0.1:${port}/later/greeter:1
    - name: kube-ops
      ref: oci://${lying.addr}/${repoPrefix}/pinned@${digestOf(pinnedRef)}
`)],
    });
  });

  after(async () => {
    registry?.kill();
    await server?.stop();
    await lying?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('a pinned digest served with other bytes is refused', async () => {
    const refusal = await server.waitForLog((e) => e.plugin === 'kube-ops' && e.reason === 'digest_mismatch');
    assert.match(refusal.message, new RegExp(`manifest whose digest is sha256:[0-9a-f]{64} for oci://.*@${digestOf(pinnedRef)}`));
    assert.match(refusal.message, /nothing serves under this name/);
  });

  test('the server starts, is not ready for the source, then recovers when the registry returns', async () => {
    const waiting = await server.waitForLog((e) => e.plugin === 'greeter' && e.reason === 'unreachable');
    assert.match(waiting.message, /plugin source not ready/);
    assert.equal((await fetch(`${server.base}/health`)).status, 200);
    assert.equal((await fetch(`${server.base}/readyz`)).status, 503);
    assert.match(await metrics(server), /kube_mcp_plugin_source_ready\{plugin="greeter"\} 0/);

    registry = startRegistry();
    await registryUp();
    const ref = await ok('push', builtPlugin('greeter-v1', 'test-plugins'), `oci://127.0.0.1:${port}/later/greeter:1`);
    await ok('sign', ref, '--key', key('down.key'));
    const serving = await server.waitForLog((e) => e.message === 'plugin from registry is serving' && e.plugin === 'greeter');
    assert.equal(serving.digest, digestOf(ref));
    assert.match(await metrics(server), /kube_mcp_plugin_source_ready\{plugin="greeter"\} 1/);
    const client = await connect(server);
    try {
      assert.equal(text(await client.callTool({ name: 'hello', arguments: {} })), 'hello from v1');
    } finally {
      await client.close();
    }
    // kube-ops never verified: the server stays not ready, and says why in
    // its metrics; greeter serves all the same.
    assert.equal((await fetch(`${server.base}/readyz`)).status, 503);
    assert.match(await metrics(server), /kube_mcp_plugin_source_ready\{plugin="kube-ops"\} 0/);
  });
});

describe('registry credentials from a Docker config file', () => {
  const registry = () => required('OCI_REGISTRY');
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  for (const mode of ['basic', 'bearer']) {
    test(`${mode} auth: the right credentials pull, wrong ones are refused as denied`, async () => {
      fs.mkdirSync(work, { recursive: true });
      const guarded = await startLyingRegistry(registry(), { auth: { user: 'robot', password: 's3cret-pw', mode } });
      const repo = `${repoPrefix}-${mode}`;
      const pinned = await ok('push', builtPlugin('greeter-v1', 'test-plugins'), `oci://${registry()}/${repo}/greeter:1`);
      const dockerConfig = (password, addr = guarded.addr) => {
        const file = path.join(work, `docker-${mode}-${password}.json`);
        fs.writeFileSync(file, JSON.stringify({ auths: { [addr]: { auth: Buffer.from(`robot:${password}`).toString('base64') } } }));
        return file;
      };
      const ref = `oci://${guarded.addr}/${repo}/greeter@${digestOf(pinned)}`;
      const start = (password) => startServer({
        args: ['--no-auth', '--config', config(`
plugins:
  registry: {authFile: ${dockerConfig(password)}, pollInterval: 300ms}
  sources: [{name: greeter, ref: "${ref}"}]
`)],
      });
      const good = await start('s3cret-pw');
      try {
        await good.waitForLog((e) => e.message === 'plugin from registry is serving');
        assert.ok(guarded.seen.authorized > 0, 'requests carried the credentials');
        assert.ok(!good.log.some((e) => JSON.stringify(e).includes('s3cret-pw')), 'the password is never logged');
      } finally {
        await good.stop();
      }
      const bad = await start('wrong');
      try {
        const refused = await bad.waitForLog((e) => e.plugin === 'greeter' && e.reason === 'denied');
        assert.match(refused.message, /plugin source not ready .*the registry refused the credentials/);
        assert.equal((await fetch(`${bad.base}/readyz`)).status, 503);
        assert.ok(!bad.log.some((e) => JSON.stringify(e).includes('wrong')), 'the password is never logged');
      } finally {
        await bad.stop();
        await guarded.close();
      }
      // The CLI reads the same file.
      const out = path.join(work, `pulled-${mode}.wasm`);
      const guarded2 = await startLyingRegistry(registry(), { auth: { user: 'robot', password: 's3cret-pw', mode } });
      try {
        await ok('pull', `oci://${guarded2.addr}/${repo}/greeter@${digestOf(pinned)}`, '-o', out,
          '--registry-auth', dockerConfig('s3cret-pw', guarded2.addr));
        assert.deepEqual(fs.readFileSync(out), fs.readFileSync(builtPlugin('greeter-v1', 'test-plugins')));
      } finally {
        await guarded2.close();
      }
    });
  }

  test('the WIT package is published as a wkg-style artifact', async () => {
    const pushed = await ok('push-wit', `oci://${registry()}/${repoPrefix}/kube-mcp-wit:0.1.0`);
    const manifest = await (await fetch(`http://${registry()}/v2/${repoPrefix}/kube-mcp-wit/manifests/${digestOf(pushed)}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    })).json();
    assert.equal(manifest.config.mediaType, 'application/vnd.wasm.config.v0+json');
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0].mediaType, 'application/wasm');
    assert.equal(manifest.annotations['dev.kube-mcp.plugin.wit'], 'kube-mcp:plugin@0.1.3');
    const blob = Buffer.from(await (await fetch(`http://${registry()}/v2/${repoPrefix}/kube-mcp-wit/blobs/${manifest.layers[0].digest}`)).arrayBuffer());
    // A component-encoded WIT package: the component preamble, and the
    // package's interfaces by name.
    assert.deepEqual([...blob.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    for (const name of ['kube-mcp:plugin/kubernetes@0.1.3', 'kube-mcp:plugin/types@0.1.3', 'tool-plugin']) {
      assert.ok(blob.includes(Buffer.from(name)), `${name} in the encoded package`);
    }
  });
});
