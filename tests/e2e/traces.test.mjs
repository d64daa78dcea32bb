// OpenTelemetry traces (issue 28): kube-mcp sends its spans over OTLP/HTTP
// to a real OpenTelemetry Collector (built from its Go modules by
// tests/env/up), which forwards them as OTLP/JSON to a sink here. A request
// with a W3C `traceparent` continues the caller's trace: authentication,
// the tool call, its policy decision, the plugin call, each Kubernetes
// request and each question to the client are spans with the right
// parents, and the audit and plugin log lines carry the trace id.

import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { required } from './lib/env.mjs';
import * as jwt from './lib/jwt.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';
import { spanKind, startCollector, startSink } from './lib/otel.mjs';
import { post } from './lib/stateless.mjs';

const issuer = () => required('OIDC_ISSUER_URL');
const secret = () => fs.readFileSync(required('OIDC_HS256_SECRET_FILE'), 'utf8').trim();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-traces-'));

const traceparent = () => {
  const traceId = crypto.randomBytes(16).toString('hex');
  const parentId = crypto.randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
};

/** Waits until spans of `traceId` include every name in `names`. */
async function spansOf(sink, traceId, names, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = sink.spans.filter((s) => s.traceId === traceId).map((s) => ({ ...s, kind_: spanKind(s) }));
    if (names.every((n) => found.some((s) => s.kind_ === n))) return found;
    if (Date.now() > deadline) {
      throw new Error(`spans of ${traceId}: ${found.map((s) => s.name).join(', ') || 'none'}; wanted ${names.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const one = (spans, name) => {
  const found = spans.filter((s) => s.kind_ === name);
  assert.equal(found.length, 1, `one ${name}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0];
};

describe('traces through a real OpenTelemetry Collector', () => {
  let sink;
  let collector;
  let server;
  const token = () => jwt.hs256(jwt.claims(issuer(), server.url, { sub: 'tracy', groups: ['sre'] }), secret());

  before(async () => {
    sink = await startSink();
    collector = await startCollector(sink.port);
    const config = path.join(work, 'config.yaml');
    fs.writeFileSync(config, `
oidc:
  issuerUrl: ${issuer()}
  signingMethod: [HS256]
  hs256SecretFile: ${required('OIDC_HS256_SECRET_FILE')}
tracing:
  otlpEndpoint: ${collector.url}
  serviceName: kube-mcp-e2e
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [pods], namespaces: [demo]}
`);
    server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core'), builtPlugin('conformance')),
      args: ['--config', config, '--kubeconfig', required('KUBECONFIG')],
      // The standard variable of the batch span processor: export every
      // 200 ms instead of every 5 s, so the test waits less.
      env: { OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys");
  });
  after(async () => {
    await server?.stop();
    collector?.stop();
    await sink?.close();
  });

  test('a stateless call continues the caller\'s trace: request, authentication, call, policy, plugin, Kubernetes', async () => {
    const { traceId, parentId, header } = traceparent();
    const answer = await post(server.url, 'tools/call', { name: 'list_pods', arguments: { namespace: 'demo' } },
      { capabilities: {}, headers: { authorization: `Bearer ${token()}`, traceparent: header } });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.result?.isError ?? false, false, JSON.stringify(answer.body));

    const spans = await spansOf(sink, traceId, ['request', 'authenticate', 'tools/call', 'policy', 'plugin.call', 'kubernetes.request']);
    const request = one(spans, 'request');
    assert.equal(request.name, 'POST /mcp');
    assert.equal(request.parentSpanId, parentId, 'the request span is the child of the traceparent');
    assert.equal(request.kind, 2, 'a server span');
    assert.equal(request.resource['service.name'], 'kube-mcp-e2e');
    assert.equal(request.attrs['mcp.method.name'], 'tools/call');
    assert.equal(Number(request.attrs['http.response.status_code']), 200);
    assert.equal(one(spans, 'authenticate').parentSpanId, request.spanId);
    assert.equal(one(spans, 'authenticate').attrs.outcome, 'verified');
    const call = one(spans, 'tools/call');
    assert.equal(call.name, 'tools/call list_pods', 'named as OpenTelemetry\'s MCP conventions say');
    assert.equal(call.parentSpanId, request.spanId);
    assert.equal(call.attrs['gen_ai.tool.name'], 'list_pods');
    assert.equal(call.attrs.outcome, 'ok');
    const policy = one(spans, 'policy');
    assert.equal(policy.parentSpanId, call.spanId);
    assert.equal(policy.attrs.decision, 'allow');
    const plugin = one(spans, 'plugin.call');
    assert.equal(plugin.parentSpanId, call.spanId);
    assert.equal(plugin.attrs['mcp.plugin'], 'kube-core');
    const kube = spans.filter((s) => s.kind_ === 'kubernetes.request');
    assert.ok(kube.length >= 1);
    for (const k of kube) assert.equal(k.parentSpanId, plugin.spanId, 'each Kubernetes request is a child of the plugin call');
    assert.ok(kube.some((k) => k.attrs['k8s.verb'] === 'list' && k.attrs['k8s.resource'] === 'pods' && k.attrs['k8s.namespace'] === 'demo'),
      JSON.stringify(kube.map((k) => k.attrs)));
    // The audit line names the trace.
    const audit = await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.tool === 'list_pods' && e.trace_id === traceId);
    assert.equal(audit.decision, 'allow');
  });

  test('a refused call is traced with the policy\'s decision; a denied Kubernetes request with its error', async () => {
    const { traceId, header } = traceparent();
    const answer = await post(server.url, 'tools/call', { name: 'list_pods', arguments: { namespace: 'kube-system' } },
      { capabilities: {}, headers: { authorization: `Bearer ${token()}`, traceparent: header } });
    assert.equal(answer.body.result?.isError, true, JSON.stringify(answer.body));
    const spans = await spansOf(sink, traceId, ['tools/call', 'kubernetes.request']);
    const kube = one(spans, 'kubernetes.request');
    assert.equal(kube.name, 'list pods');
    assert.match(kube.attrs.error ?? '', /denied by grant/);
    assert.equal(one(spans, 'tools/call').attrs.outcome, 'tool_error');
  });

  test('a session call with a question: the round trip is a span of the plugin call; plugin log lines carry the trace id', async () => {
    const { traceId, header } = traceparent();
    const client = new Client({ name: 'e2e-traces', version: '1' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { username: 'tracy', email: 'tracy@example.com' } }));
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { authorization: `Bearer ${token()}`, traceparent: header } },
    }));
    try {
      await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } });
      await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    } finally {
      await client.close();
    }
    const spans = await spansOf(sink, traceId, ['mcp.question']);
    const question = one(spans, 'mcp.question');
    const plugin = spans.find((s) => s.spanId === question.parentSpanId);
    assert.equal(plugin?.name, 'plugin.call', 'the question is a child of the plugin call');
    assert.equal(question.attrs.answer, 'answered');
    await server.waitForLog((e) => e.target === 'kube_mcp::plugin' && e.plugin === 'conformance' && e.trace_id === traceId);
  });

  test('no traceparent: a trace of its own starts here', async () => {
    const before = new Set(sink.spans.map((s) => s.traceId));
    const answer = await post(server.url, 'tools/call', { name: 'test_simple_text', arguments: {} },
      { capabilities: {}, headers: { authorization: `Bearer ${token()}` } });
    assert.equal(answer.status, 200);
    const deadline = Date.now() + 20_000;
    let root;
    while (!root && Date.now() < deadline) {
      root = sink.spans.find((s) => spanKind(s) === 'request' && !before.has(s.traceId) && !s.parentSpanId);
      if (!root) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(root, 'a root request span');
  });
});

describe('without OTLP', () => {
  test('the audit line still carries the trace id of the request\'s traceparent', async () => {
    const server = await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--no-auth'] });
    try {
      const { traceId, header } = traceparent();
      const answer = await post(server.url, 'tools/call', { name: 'test_simple_text', arguments: {} }, { capabilities: {}, headers: { traceparent: header } });
      assert.equal(answer.status, 200);
      await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.tool === 'test_simple_text' && e.trace_id === traceId);
      const plain = await post(server.url, 'tools/call', { name: 'test_simple_text', arguments: {} }, { capabilities: {} });
      assert.equal(plain.status, 200);
      const audited = () => server.log.filter((e) => e.target === 'kube_mcp::audit' && e.tool === 'test_simple_text');
      await server.waitForLog(() => audited().length === 2);
      assert.equal(audited()[1].trace_id, undefined, 'no trace, no trace_id field');
    } finally {
      await server.stop();
    }
  });
});
