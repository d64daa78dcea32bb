// Answers sized for a model, against the real control plane: list tools
// answer with the API server's tables within the answer budget, big lists
// page exactly (every item once) instead of failing, YAML and JSON still
// redact Secrets, and the TypeScript SDK client reads structuredContent rows
// that validate against each tool's outputSchema.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Ajv from 'ajv';

import { kubectl, required } from './lib/env.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const BUDGET = 32 * 1024;
const SMALL = 'answers-100';
const BIG = 'answers-2000';

function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-config-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

const GRANTS = `
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [pods, secrets, events, namespaces], namespaces: ["*"]}
      - {verbs: [get, list], apiGroups: [example.kube-mcp.io], resources: ["*"], namespaces: ["*"]}
`;

async function must(kubeconfig, ...args) {
  const result = await kubectl(kubeconfig, ...args);
  assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/**
 * A namespace holding `count` pods named pod-0000…: held back from
 * scheduling (a scheduling gate), so that the nodes' capacity does not
 * matter and nothing but the apiserver works for them. `apply` creates them
 * with `kubectl apply`, which stores the last-applied annotation in each,
 * as a new user's pods would have.
 */
async function podsNamespace(name, count, { apply = false } = {}) {
  const admin = required('KUBECONFIG');
  await kubectl(admin, 'create', 'namespace', name);
  // Pods are admitted once the namespace's default ServiceAccount exists.
  for (let i = 0; (await kubectl(admin, '-n', name, 'get', 'serviceaccount', 'default')).code !== 0; i++) {
    assert.ok(i < 100, `no default ServiceAccount in ${name}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const existing = new Set((await must(admin, '-n', name, 'get', 'pods', '-o', 'name')).split('\n').filter(Boolean).map((n) => n.replace('pod/', '')));
  const wanted = Array.from({ length: count }, (_, i) => `pod-${String(i).padStart(4, '0')}`);
  const missing = wanted.filter((n) => !existing.has(n));
  for (let i = 0; i < missing.length; i += 500) {
    const items = missing.slice(i, i + 500).map((pod) => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: pod, namespace: name, labels: { app: 'answers', shard: String(Number(pod.slice(4)) % 4) } },
      spec: {
        schedulingGates: [{ name: 'kube-mcp.io/held' }],
        containers: [{ name: 'app', image: 'fake/answers:1', ports: [{ containerPort: 8080 }] }],
      },
    }));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-pods-')), 'pods.json');
    fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    await must(admin, apply ? 'apply' : 'create', '-f', file);
  }
  return wanted;
}

async function connect(url) {
  const client = new Client({ name: 'e2e-answers', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** Text of a result: every text item, as the model reads it. */
const textOf = (result) => result.content.map((c) => c.text).join('\n');
const sizeOf = (result) => Buffer.byteLength(textOf(result));

describe('answers sized for a model', () => {
  let server;
  let client;
  let small;
  let big;
  let tools;
  before(async () => {
    small = await podsNamespace(SMALL, 100, { apply: true });
    big = await podsNamespace(BIG, 2000);
    server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core')),
      args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', configFile(GRANTS)],
    });
    client = await connect(server.url);
    // The SDK client validates structuredContent against the outputSchema
    // of the tools it has listed.
    tools = new Map();
    let cursor;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      for (const t of page.tools) tools.set(t.name, t);
      cursor = page.nextCursor;
    } while (cursor);
  });
  after(async () => { await client?.close(); await server?.stop(); });

  test('every list tool declares the rows schema; get tools take output yaml|json', () => {
    for (const name of ['list_pods', 'list_nodes', 'list_events', 'resources_list', 'events_list']) {
      const tool = tools.get(name);
      assert.deepEqual(tool.outputSchema.required, ['columns', 'rows'], name);
      assert.deepEqual(tool.inputSchema.properties.output.enum ?? tool.inputSchema.$defs?.ListOutput?.oneOf?.map((o) => o.const ?? o.enum?.[0]), ['table', 'yaml', 'json'], name);
    }
    assert.ok(JSON.stringify(tools.get('get_pod').inputSchema).includes('yaml'));
  });

  test('list_pods over 100 pods: one table, every pod a row, within the budget', async () => {
    const result = await client.callTool({ name: 'list_pods', arguments: { namespace: SMALL } });
    assert.equal(result.isError, false, textOf(result));
    const text = textOf(result);
    assert.ok(sizeOf(result) <= BUDGET, `${sizeOf(result)} bytes`);
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), small);
    assert.ok(lines.slice(1).every((l) => /^pod-\d{4}\s+0\/1\s+SchedulingGated\s+0\s+\S+$/.test(l)), lines[1]);
    assert.equal(result.content.length, 1, 'no line about more items');
    const { columns, rows } = result.structuredContent;
    assert.deepEqual(columns.map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    assert.deepEqual(rows.map((r) => r.Name), small);
    assert.equal(result.structuredContent.continue, undefined);
    console.log(`# list_pods, 100 pods, table: ${sizeOf(result)} bytes of text`);
  });

  test('the wide table adds the priority columns; across namespaces NAMESPACE comes first', async () => {
    const wide = await client.callTool({ name: 'list_pods', arguments: { namespace: SMALL, wide: true, limit: 3 } });
    assert.deepEqual(wide.structuredContent.columns.map((c) => c.name).slice(0, 7), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node']);
    const all = await client.callTool({ name: 'list_pods', arguments: { labelSelector: 'app=answers', limit: 5 } });
    assert.match(textOf(all), /^NAMESPACE\s+NAME\s+READY/);
    assert.equal(all.structuredContent.rows.length, 5);
    assert.ok(all.structuredContent.rows.every((r) => r.Namespace === BIG || r.Namespace === SMALL));
  });

  test('2,000 pods: each page within the budget, the continue tokens cover every pod exactly once', async () => {
    const seen = [];
    let token;
    let pages = 0;
    do {
      const result = await client.callTool({ name: 'list_pods', arguments: { namespace: BIG, ...(token ? { continue: token } : {}) } });
      assert.equal(result.isError, false, textOf(result));
      assert.ok(sizeOf(result) <= BUDGET, `page ${pages}: ${sizeOf(result)} bytes`);
      const rows = result.structuredContent.rows.map((r) => r.Name);
      const lines = result.content[0].text.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/)[0]);
      assert.deepEqual(lines, rows, 'the text shows the same rows');
      seen.push(...rows);
      token = result.structuredContent.continue;
      if (token) {
        const more = result.content[1].text;
        assert.ok(more.includes(`continue: "${token}"`), more);
        assert.match(more, new RegExp(`${2000 - seen.length} more`));
        assert.equal(result.structuredContent.remainingItemCount, 2000 - seen.length);
      }
      pages++;
    } while (token);
    assert.ok(pages > 1, `${pages} pages`);
    assert.deepEqual(seen, big, 'every pod once, in order');
    console.log(`# list_pods, 2000 pods, table: ${pages} pages`);
  });

  test('2,000 pods as JSON and YAML: pages cut inside the API\'s pages still resume exactly', async () => {
    for (const output of ['json', 'yaml']) {
      const seen = [];
      let token;
      for (let page = 0; page < 4; page++) {
        const result = await client.callTool({ name: 'list_pods', arguments: { namespace: BIG, output, ...(token ? { continue: token } : {}) } });
        assert.equal(result.isError, false, textOf(result));
        assert.ok(sizeOf(result) <= BUDGET, `${output} page ${page}: ${sizeOf(result)} bytes`);
        if (output === 'json') {
          const list = JSON.parse(result.content[0].text);
          assert.equal(list.kind, 'PodList');
          assert.equal(list.metadata.continue, result.structuredContent.continue);
          assert.deepEqual(list.items.map((p) => p.metadata.name), result.structuredContent.rows.map((r) => r.Name));
          assert.ok(list.items.every((p) => !p.metadata.managedFields));
        }
        seen.push(...result.structuredContent.rows.map((r) => r.Name));
        token = result.structuredContent.continue;
        assert.ok(token, 'more pages');
      }
      assert.deepEqual(seen, big.slice(0, seen.length), output);
    }
  });

  test('YAML and JSON drop the last-applied annotation; limit caps a page', async () => {
    const result = await client.callTool({ name: 'list_pods', arguments: { namespace: SMALL, output: 'json', limit: 2 } });
    const list = JSON.parse(result.content[0].text);
    assert.equal(list.items.length, 2);
    assert.ok(list.items.every((p) => !p.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']));
    const raw = JSON.parse(await must(required('KUBECONFIG'), '-n', SMALL, 'get', 'pod', 'pod-0000', '-o', 'json'));
    assert.ok(raw.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], 'the pods do carry it');
    const yaml = await client.callTool({ name: 'get_pod', arguments: { namespace: SMALL, name: 'pod-0000' } });
    assert.match(yaml.content[0].text, /^apiVersion: v1\nkind: Pod\nmetadata:\n/);
    assert.doesNotMatch(yaml.content[0].text, /last-applied|managedFields/);
  });

  test('a custom resource lists with its printer columns', async () => {
    const result = await client.callTool({ name: 'resources_list', arguments: { apiVersion: 'example.kube-mcp.io/v1', kind: 'Widget', namespace: 'demo' } });
    assert.equal(result.isError, false, textOf(result));
    // The CRD's one printer column (a CRD that declares columns gets no AGE).
    assert.deepEqual(result.structuredContent.columns.map((c) => c.name), ['Name', 'Size']);
    const sizes = Object.fromEntries(result.structuredContent.rows.map((r) => [r.Name, r.Size]));
    assert.equal(sizes['widget-a'], 'small');
    assert.equal(sizes['widget-b'], 'large');
    assert.equal(textOf(result), 'NAME      SIZE\nwidget-a  small\nwidget-b  large\n');
  });

  test('YAML and JSON forms still redact Secrets', async () => {
    for (const output of ['yaml', 'json']) {
      const list = await client.callTool({ name: 'list_secrets', arguments: { namespace: 'demo', output } });
      assert.equal(list.isError, false, textOf(list));
      const text = list.content[0].text;
      assert.match(text, /app-secret/);
      assert.match(text, /<redacted>/);
      const secret = await client.callTool({ name: 'get_secret', arguments: { namespace: 'demo', name: 'app-secret', output } });
      const object = output === 'json' ? JSON.parse(secret.content[0].text) : null;
      if (object) assert.ok(Object.values(object.data).every((v) => v === '<redacted>'));
      else assert.match(secret.content[0].text, /data:\n(  \S+: <redacted>\n)+/);
    }
    const table = await client.callTool({ name: 'list_secrets', arguments: { namespace: 'demo' } });
    assert.deepEqual(table.structuredContent.columns.map((c) => c.name), ['Name', 'Type', 'Data', 'Age']);
  });

  test('structuredContent of every list tool validates against its outputSchema', async () => {
    const ajv = new Ajv({ strict: false });
    const calls = [
      ['list_pods', { namespace: BIG }], ['list_pods', { namespace: SMALL, output: 'yaml' }],
      ['list_namespaces', {}], ['list_events', { namespace: 'demo' }],
      ['events_list', { namespace: 'demo', kind: 'Deployment', name: 'web' }],
      ['resources_list', { apiVersion: 'example.kube-mcp.io/v1', kind: 'Widget' }],
    ];
    for (const [name, args] of calls) {
      const result = await client.callTool({ name, arguments: args });
      assert.equal(result.isError, false, `${name}: ${textOf(result)}`);
      const validate = ajv.compile(tools.get(name).outputSchema);
      assert.ok(validate(result.structuredContent), `${name}: ${ajv.errorsText(validate.errors)}`);
    }
  });

  test('a bad continue token is a clear tool error', async () => {
    const result = await client.callTool({ name: 'list_pods', arguments: { namespace: BIG, continue: 'kmc1.garbage!' } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /^bad request: the continue token is damaged/);
  });
});

describe('server-wide answer settings', () => {
  test('--list-output and KUBE_MCP_ANSWER_BUDGET set the default form and the budget', async () => {
    const server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core')),
      args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', configFile(GRANTS), '--list-output', 'yaml'],
      env: { KUBE_MCP_ANSWER_BUDGET: '4KiB' },
    });
    const client = await connect(server.url);
    try {
      const result = await client.callTool({ name: 'list_pods', arguments: { namespace: SMALL } });
      assert.match(result.content[0].text, /^apiVersion: v1\nkind: Pod\n|^metadata:\n/);
      assert.ok(sizeOf(result) <= 4096, `${sizeOf(result)} bytes`);
      assert.ok(result.structuredContent.continue);
      const table = await client.callTool({ name: 'list_pods', arguments: { namespace: SMALL, output: 'table' } });
      assert.match(table.content[0].text, /^NAME\s+READY/);
      assert.ok(sizeOf(table) <= 4096);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
