// The OCI image, built without a container engine (scripts/build-image,
// buildah from scratch), unpacked with umoci and run from its root file
// system.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-image-'));
const bundle = path.join(work, 'bundle');
let config;

before(async () => {
  const archive = path.join(work, 'kube-mcp-oci.tar');
  await run(path.join(repo, 'scripts/build-image'), [archive], { cwd: repo, maxBuffer: 16 << 20 });
  const layout = path.join(work, 'layout');
  fs.mkdirSync(layout);
  await run('tar', ['-xf', archive, '-C', layout]);
  await run('umoci', ['unpack', '--rootless', '--image', `${layout}:kube-mcp:latest`, bundle]);
  config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
}, { timeout: 300_000 });
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('non-root, with the server and the first-party plugins', () => {
  assert.deepEqual(config.process.user, { uid: 10001, gid: 10001 });
  assert.deepEqual(config.process.args, ['/usr/bin/kube-mcp', 'serve', '--host', '0.0.0.0']);
  const plugins = fs.readdirSync(path.join(bundle, 'rootfs/usr/lib/kube-mcp/plugins')).sort();
  assert.deepEqual(plugins, ['helm.wasm', 'kube-core.wasm', 'kube-exec.wasm', 'kube-http.wasm', 'kube-nodes.wasm', 'kube-ops.wasm', 'kube-prompts.wasm', 'kube-rollouts.wasm']);
  assert.ok(!fs.existsSync(path.join(bundle, 'rootfs/bin/sh')), 'no shell in the image');
});

test('the server runs from the image\'s file system and loads its plugins', { skip: process.getuid() !== 0 && 'chroot needs root' }, async () => {
  const rootfs = path.join(bundle, 'rootfs');
  const { stdout } = await run('chroot', ['--userspec=10001:10001', rootfs, '/usr/bin/kube-mcp', 'plugin', 'validate', '/usr/lib/kube-mcp/plugins/kube-core.wasm']);
  assert.match(stdout, /valid plugin 'kube-core'/);
  // No environment inside the image: the server needs none.
  const child = spawn('chroot', ['--userspec=10001:10001', rootfs, '/usr/bin/kube-mcp', 'serve', '--host', '127.0.0.1', '--port', '0',
    '--log-format', 'json', '--plugin-cache-dir', '/var/cache/kube-mcp'], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
  const loaded = await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`no "plugins loaded" in 60 s:\n${log}`)), 60_000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const line = log.split('\n').find((l) => l.includes('"plugins loaded"'));
      if (line) { clearTimeout(timer); resolve(JSON.parse(line)); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${log}`)); });
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
  child.kill('SIGTERM');
  assert.equal(loaded.plugins, 8);
  assert.equal(loaded.failed, 0);
});
