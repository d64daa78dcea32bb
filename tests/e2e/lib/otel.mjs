// A real OpenTelemetry Collector (tests/env/otelcol, built by tests/env/up)
// between kube-mcp and a sink here that receives its exports as OTLP/JSON.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import { required } from './env.mjs';
import { freePort } from './server.mjs';

/** Receives OTLP/JSON trace exports; `spans` is every span so far. */
export async function startSink() {
  const spans = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const data = JSON.parse(body);
      for (const rs of data.resourceSpans ?? []) {
        const resource = Object.fromEntries((rs.resource?.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({ ...s, resource, attrs: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])) });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { spans, port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

export async function startCollector(sinkPort) {
  const port = await freePort();
  const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-otelcol-')), 'otelcol.yaml');
  fs.writeFileSync(config, `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
processors:
  batch:
    timeout: 200ms
exporters:
  otlphttp:
    traces_endpoint: http://127.0.0.1:${sinkPort}/v1/traces
    encoding: json
    compression: none
    retry_on_failure: {enabled: false}
service:
  telemetry:
    metrics: {level: none}
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [otlphttp]}
`);
  const child = spawn(required('OTELCOL'), ['--config', `file:${config}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (c) => { log += c; });
  for (let i = 0; i < 100; i++) {
    if (/Everything is ready/.test(log)) break;
    if (child.exitCode !== null) throw new Error(`the collector exited:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(log, /Everything is ready/, log);
  return { url: `http://127.0.0.1:${port}`, log: () => log, stop: () => { child.kill('SIGTERM'); } };
}


/**
 * What a span of kube-mcp is, whatever its name: `request` (the HTTP server
 * span), `tools/call`, `kubernetes.request`, or its name.
 */
export function spanKind(span) {
  if (span.attrs['http.request.method']) return 'request';
  if (span.attrs['mcp.method.name'] === 'tools/call' && span.name.startsWith('tools/call ')) return 'tools/call';
  if (span.attrs['k8s.verb']) return 'kubernetes.request';
  return span.name;
}
