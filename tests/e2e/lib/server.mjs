// Starts the real kube-mcp binary for a test, and stops it afterwards.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const repo = path.resolve(import.meta.dirname, '../../..');
export const binary = path.join(repo, 'target/release/kube-mcp');

/** A loopback port free at the moment of asking. */
export async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** The path of a built plugin (`make build` puts them in target/). */
export function builtPlugin(name, kind = 'plugins') {
  const file = path.join(repo, 'target', kind, `${name}.wasm`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`make build\` first`);
  return file;
}

/** A fresh plugins directory holding copies of `files`. */
export function pluginsDir(...files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-plugins-'));
  for (const file of files) fs.copyFileSync(file, path.join(dir, path.basename(file)));
  return dir;
}

/**
 * Runs `kube-mcp serve` on a free loopback port with `args`; resolves once
 * its plugins are loaded. `server.url` is the MCP endpoint.
 */
export async function startServer({ plugins, args = [], env = {}, cacheDir }) {
  const cache = cacheDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-cache-'));
  // Without `plugins`, no folder: every plugin comes from plugins.sources.
  const folder = plugins === undefined ? [] : ['--plugins-dir', plugins];
  const child = spawn(binary, [
    'serve', '--port', '0', '--log-format', 'json', ...folder, ...args,
  ], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: cache, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log = [];
  let buffered = '';
  const waiters = [];
  child.stderr.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let entry;
      try { entry = JSON.parse(line); } catch { entry = { message: line }; }
      log.push(entry);
      for (const w of [...waiters]) if (w.match(entry)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(entry); }
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const waitForLog = (match, ms = 20_000) => {
    const seen = log.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such log line within ${ms} ms; log:\n${log.map((l) => JSON.stringify(l)).join('\n')}`)), ms);
      waiters.push({ match, resolve: (e) => { clearTimeout(timer); resolve(e); } });
      exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`kube-mcp exited (${code}) before the expected log line; log:\n${log.map((l) => JSON.stringify(l)).join('\n')}`)); });
    });
  };
  const listening = await waitForLog((e) => e.message === 'listening');
  await waitForLog((e) => e.message === 'plugins loaded');
  const base = `http://${listening.addr}`;
  return {
    base,
    url: `${base}/mcp`,
    log,
    waitForLog,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      if (cacheDir === undefined) fs.rmSync(cache, { recursive: true, force: true });
    },
  };
}
