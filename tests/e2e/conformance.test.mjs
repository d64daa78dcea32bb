// The official MCP conformance suite against kube-mcp serving the
// conformance plugin: every server scenario of both protocol eras passes.
//
// - 0.1.16 runs every scenario of the session era (2025-06-18, 2025-11-25),
//   pending ones included.
// - 0.2.0-alpha.12 runs what the stateless revision 2026-07-28 requires
//   (`--requirements 2026-07-28`).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const run = promisify(execFile);
const suite = (pkg) => path.join(import.meta.dirname, 'node_modules', pkg, 'dist/index.js');

let server;
before(async () => {
  server = await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--no-auth'] });
});
after(() => server?.stop());

/** Runs the suite of `pkg` with `args`; returns its summary and the scenario lines. */
async function conformance(pkg, args) {
  let stdout;
  try {
    ({ stdout } = await run(process.execPath, [suite(pkg), 'server', '--url', server.url, ...args], {
      cwd: import.meta.dirname, maxBuffer: 64 << 20,
    }));
  } catch (error) {
    // The suite exits non-zero when a scenario fails; the summary says which.
    stdout = error.stdout ?? '';
    if (!stdout.includes('=== SUMMARY ===')) {
      assert.fail(`the suite failed (exit ${error.code}):\n${stdout.slice(-6000)}\n${error.stderr?.slice(-2000)}`);
    }
  }
  const summary = stdout.slice(stdout.indexOf('=== SUMMARY ==='));
  const scenarios = summary.match(/^[✓✗] .*$/gmu) ?? [];
  return { summary, scenarios };
}

test('@modelcontextprotocol/conformance 0.1.16: every server scenario passes', { timeout: 300_000 }, async () => {
  // `--suite all` includes the scenarios still marked pending upstream.
  const { summary, scenarios } = await conformance('@modelcontextprotocol/conformance', ['--suite', 'all']);
  assert.ok(scenarios.length >= 32, `expected at least 32 scenarios, got:\n${summary}`);
  assert.deepEqual(scenarios.filter((line) => line.startsWith('✗')), [], summary);
  assert.match(summary, /Total: \d+ passed, 0 failed/);
  console.log(summary.trim());
});

test('@modelcontextprotocol/conformance 0.2.0-alpha.12 --requirements 2026-07-28: every scenario passes, the tasks extension and pending ones too', { timeout: 600_000 }, async () => {
  const { summary, scenarios } = await conformance('conformance-2026-07-28', ['--requirements', '2026-07-28']);
  // The run also lists, unscored, the extension and pending scenarios: they
  // must pass as well.
  const unscored = [...summary.matchAll(/^\s+([✓✗]) (\S+) \((extension|pending)\)$/gmu)];
  assert.ok(scenarios.length >= 50, `expected at least 50 scenarios, got:\n${summary}`);
  assert.ok(unscored.filter((m) => m[3] === 'extension' && m[2].startsWith('tasks-')).length >= 10,
    `the tasks extension's scenarios run:\n${summary}`);
  for (const required of ['server-stateless', 'caching', 'input-required-result-tampered-state',
    'input-required-result-multi-round', 'input-required-result-non-tool-request', 'tasks-lifecycle',
    'tasks-mrtr-composition', 'json-schema-2020-12', 'http-custom-header-server-validation']) {
    assert.ok(scenarios.some((line) => line.startsWith(`✓ ${required}:`)), `${required} must pass:\n${summary}`);
  }
  assert.deepEqual(scenarios.filter((line) => line.startsWith('✗')), [], summary);
  assert.deepEqual(unscored.filter((m) => m[1] === '✗').map((m) => m[2]), [], summary);
  assert.match(summary, /Total: \d+ passed, 0 failed/);
  console.log(summary.trim());
});
