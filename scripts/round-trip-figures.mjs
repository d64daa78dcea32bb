// Figures of MCP 2026-07-28 multi-round-trip requests (docs/benchmarks.md):
// the size of the request state per round, and what a question costs next
// to a plain call, both against one server in the same run.
// Run from the repository after `make build`: node scripts/round-trip-figures.mjs
import { builtPlugin, pluginsDir, startServer } from '../tests/e2e/lib/server.mjs';
import { post } from '../tests/e2e/lib/stateless.mjs';
const server = await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--no-auth'] });
try {
  const t = 'test_input_required_result_multi_round';
  const r1 = await post(server.url, 'tools/call', { name: t, arguments: {} });
  const s1 = r1.body.result.requestState;
  const r2 = await post(server.url, 'tools/call', { name: t, arguments: {}, inputResponses: { step1: { action: 'accept', content: { name: 'Alice' } } }, requestState: s1 });
  const s2 = r2.body.result.requestState;
  const long = 'x'.repeat(4000);
  const r3 = await post(server.url, 'tools/call', { name: t, arguments: {}, inputResponses: { step1: { action: 'accept', content: { name: long } } }, requestState: s1 });
  console.log(JSON.stringify({ round1: s1.length, round2: s2.length, round2_with_4000_char_answer: r3.body.result.requestState.length }));
  // timing: 200 rounds of round 1 + round 2 complete vs plain call
  const N = 100; let t0 = performance.now();
  for (let i = 0; i < N; i++) await post(server.url, 'tools/call', { name: 'test_simple_text', arguments: {} });
  const plain = (performance.now() - t0) / N; t0 = performance.now();
  const e = 'test_input_required_result_elicitation';
  for (let i = 0; i < N; i++) {
    const a = await post(server.url, 'tools/call', { name: e, arguments: {} });
    await post(server.url, 'tools/call', { name: e, arguments: {}, inputResponses: { user_name: { action: 'accept', content: { name: 'A' } } }, requestState: a.body.result.requestState });
  }
  const mrtr = (performance.now() - t0) / N;
  console.log(JSON.stringify({ plain_call_ms: plain.toFixed(2), question_round_trip_ms: mrtr.toFixed(2), ratio: (mrtr / plain).toFixed(2) }));
} finally { await server.stop(); }
