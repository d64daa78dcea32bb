// The soak's short form (issue 28): the server under a realistic mix of
// callers for about a minute while plugins are replaced, added, removed and
// broken, the IdP and env-b's apiserver are killed and restarted, a hostile
// plugin runs at its limits, slow clients never read and connections drop;
// then SIGTERM under load; spans go through a real OpenTelemetry Collector. It asserts the invariants, never wall-clock
// times: no unexplained failure, descriptors and tasks back to where they
// started, a clean drain. `make soak` runs the long form (10 minutes, 64
// clients) and writes the figures docs/benchmarks.md shows.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { soak } from './soak/soak.mjs';

test('a short soak with every fault: nothing unexplained fails, nothing leaks, SIGTERM drains', { timeout: 600_000 }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-soak-report-'));
  const report = await soak({
    duration: 75_000, clients: 16, faultEvery: 3_000, sampleEvery: 5_000, bucket: 15_000, idpDown: 6_000, apiserverDown: 6_000, traces: true, out,
  });
  process.stderr.write(`${report.markdown}\n(report: ${out})\n`);
  const { verdict, data } = report;

  assert.deepEqual(data.unexpected, [], 'every failure is explained by a fault, a limit or a policy');
  assert.equal(report.byOutcome.unexpected, undefined);
  for (const op of ['tools/list', 'read-small', 'read-paged', 'read-env-b', 'greeter', 'dry-run-write', 'round-trip-write', 'task']) {
    assert.ok(report.ops[op]?.ok > 0, `${op} succeeded at least once: ${JSON.stringify(report.ops[op])}`);
  }
  assert.ok(report.ops['denied-write'].expected > 0 && report.ops['denied-write'].ok === 0, 'viewers are refused kube-ops every time');

  for (const kind of ['registry re-tag', 'plugin replaced', 'plugin added', 'plugin removed', 'broken replacement', 'IdP killed', 'IdP back', 'apiserver killed', 'apiserver back']) {
    assert.ok(report.faults[kind] > 0, `fault '${kind}' was injected: ${JSON.stringify(report.faults)}`);
  }
  assert.ok(report.idp.callsDuring > 0, 'calls with node-oidc-provider tokens ran while it was down');
  assert.equal(report.idp.refusedDuring, 0, 'cached keys kept its tokens valid');
  assert.ok(report.api.okBefore && report.api.failedDuring > 0, JSON.stringify(report.api));
  assert.equal(report.api.clearErrors, report.api.failedDuring, `every env-b failure says the cluster is unavailable: ${report.api.sampleError}`);
  assert.ok(report.api.recoveredAfter !== undefined, 'env-b calls succeed again after its apiserver returns');
  assert.ok(data.hostile.calls > 0 && data.hostile.stopped === data.hostile.calls, JSON.stringify(data.hostile));

  assert.ok(verdict['descriptors back to the start'], `fds: start ${data.start.fds}, end ${data.settled.fds}`);
  assert.ok(verdict['tasks back to the start'], `tasks: start ${data.start.tasks}, end ${data.settled.tasks}`);
  assert.equal(data.drain.completed, data.drain.accepted, data.drain.failures.join('\n'));
  assert.equal(data.drain.readyz, 503);
  assert.match(data.drain.late, /^refused/);
  assert.equal(data.drain.exit, 0);
  // Spans went through a real collector the whole time, each with its parent.
  assert.ok(data.traces.spans > 0 && data.traces.byName['kubernetes.request'] > 0, JSON.stringify(data.traces));
  assert.equal(data.traces.orphans, 0, JSON.stringify(data.traces.orphanSample));
  assert.ok(data.traces.calls > 0);
  assert.ok(verdict.passed, JSON.stringify(verdict));
});
