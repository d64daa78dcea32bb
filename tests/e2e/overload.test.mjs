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
