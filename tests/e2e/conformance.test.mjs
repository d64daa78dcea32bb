// The official MCP conformance suite against kube-mcp serving the
// conformance plugin: every server scenario must pass.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const run = promisify(execFile);
const suite = path.join(import.meta.dirname, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

let server;
before(async () => {
  server = await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--no-auth'] });
});
after(() => server?.stop());

test('@modelcontextprotocol/conformance 0.1.16: every server scenario passes', { timeout: 300_000 }, async () => {
  // `--suite all` includes the scenarios still marked pending upstream.
  let stdout;
  try {
    ({ stdout } = await run(process.execPath, [suite, 'server', '--url', server.url, '--suite', 'all'], {
      cwd: import.meta.dirname, maxBuffer: 64 << 20,
    }));
  } catch (error) {
    assert.fail(`the suite failed (exit ${error.code}):\n${error.stdout?.slice(-6000)}\n${error.stderr?.slice(-2000)}`);
  }
  const summary = stdout.slice(stdout.indexOf('=== SUMMARY ==='));
  const scenarios = summary.match(/^[✓✗] .*$/gmu) ?? [];
  assert.ok(scenarios.length >= 32, `expected at least 32 scenarios, got:\n${summary}`);
  assert.deepEqual(scenarios.filter((line) => line.startsWith('✗')), [], summary);
  assert.match(summary, /Total: \d+ passed, 0 failed/);
  console.log(summary.trim());
});
