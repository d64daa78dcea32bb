// Overload sheds, never queues (issue 28): beyond the server's in-flight
// limit a request gets 503 with Retry-After before anything of it runs;
// beyond a caller's limit a call gets the tool-level busy error. Both at
// once, while the admitted calls run to their end.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { post } from './lib/stateless.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const slow = (seconds, label) => ({ name: 'slow_compute', arguments: { seconds, label } });

/** `post`, and when its answer came relative to the others. */
async function timed(order, url, params, options) {
  const answer = await post(url, 'tools/call', params, options);
  order.push(answer);
  return answer;
}

describe('overload at 4x the server\'s in-flight limit', () => {
  let server;
  before(async () => {
    server = await startServer({
      plugins: pluginsDir(builtPlugin('conformance')),
      args: ['--no-auth', '--stateless', '--max-in-flight', '4', '--max-calls-per-caller', '64', '--max-calls-per-plugin', '64'],
    });
  });
  after(async () => server?.stop());

  test('the excess gets 503 with Retry-After at once; the admitted four complete', async () => {
    const order = [];
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => timed(order, server.url, slow(2, `c${i}`), { capabilities: {} })));
    const shed = answers.filter((a) => a.status === 503);
    const served = answers.filter((a) => a.status === 200);
    assert.equal(served.length, 4, answers.map((a) => a.status).join(','));
    assert.equal(shed.length, 12);
    for (const a of shed) {
      assert.equal(a.retryAfter, '1');
      assert.match(a.body.error.message, /^server busy: 4 requests are in flight, its limit; retry after 1 s$/);
    }
    for (const a of served) assert.match(a.body.result.content[0].text, /^computed c\d+ in 2 s$/);
    // Every refusal came back before the first admitted call ended.
    const firstServed = order.findIndex((a) => a.status === 200);
    assert.ok(order.slice(0, firstServed).length === 12, `order: ${order.map((a) => a.status).join(',')}`);
    // Slots are freed with their responses: a new call is admitted.
    const again = await post(server.url, 'tools/call', slow(0, 'again'), { capabilities: {} });
    assert.equal(again.status, 200, JSON.stringify(again.body));
  });
});

describe('a caller over their own limit', () => {
  let server;
  before(async () => {
    server = await startServer({
      plugins: pluginsDir(builtPlugin('conformance')),
      args: ['--no-auth', '--stateless', '--max-calls-per-caller', '2'],
    });
  });
  after(async () => server?.stop());

  test('gets the tool-level busy error at once, the server stays open to others', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => post(server.url, 'tools/call', slow(1.5, `c${i}`), { capabilities: {} })));
    assert.ok(answers.every((a) => a.status === 200), answers.map((a) => a.status).join(','));
    const busy = answers.filter((a) => a.body.result?.isError);
    assert.equal(busy.length, 3, JSON.stringify(answers.map((a) => a.body)));
    for (const a of busy) assert.match(a.body.result.content[0].text, /is busy for this caller: 2 calls of yours are running/);
  });
});

describe('SIGTERM under load', () => {
  test('readiness turns 503 and new calls are refused with 503 at once; every call accepted before completes; exit 0', async () => {
    const { spawn } = await import('node:child_process');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { binary } = await import('./lib/server.mjs');
    // Its own process, to see its exit code.
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-drain-'));
    const child = spawn(binary, ['serve', '--port', '0', '--log-format', 'json', '--no-auth', '--stateless',
      '--plugins-dir', pluginsDir(builtPlugin('conformance')), '--shutdown-delay', '2s', '--shutdown-timeout', '20s'],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: cache }, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    let log = '';
    const addr = await new Promise((resolve, reject) => {
      child.stderr.on('data', (chunk) => {
        log += chunk;
        const listening = log.split('\n').map((l) => { try { return JSON.parse(l); } catch { return {}; } }).find((e) => e.message === 'listening');
        if (listening && log.includes('plugins loaded')) resolve(listening.addr);
      });
      child.on('exit', () => reject(new Error(`exited early:\n${log}`)));
    });
    const url = `http://${addr}/mcp`;
    try {
      const accepted = Array.from({ length: 6 }, (_, i) => post(url, 'tools/call', slow(3, `d${i}`), { capabilities: {} }));
      // The six are sent and running (each takes 3 s) before the signal.
      await new Promise((r) => setTimeout(r, 1000));
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const ready = await fetch(`http://${addr}/readyz`);
      assert.equal(ready.status, 503, 'not ready while draining');
      const refused = await post(url, 'tools/call', slow(0, 'late'), { capabilities: {} });
      assert.equal(refused.status, 503);
      assert.equal(refused.retryAfter, '1');
      assert.match(refused.body.error.message, /^server shutting down: this request was not started/);
      const answers = await Promise.all(accepted);
      for (const a of answers) {
        assert.equal(a.status, 200, JSON.stringify(a.body));
        assert.match(a.body.result.content[0].text, /^computed d\d in 3 s$/);
      }
      assert.equal(await exited, 0, log);
      assert.match(log, /shut down gracefully/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
