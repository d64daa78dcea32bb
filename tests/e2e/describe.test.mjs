// resources_describe against the real control plane: what `kubectl
// describe` tells a person, for a pod in CrashLoopBackOff (tests/env's
// ops/crashy), a Deployment and its pods, a node, and a custom resource;
// bad input as clear tool errors; a missing grant for one section as a
// note in that section.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { kubectl, required } from './lib/env.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-config-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

const everything = `
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: ["*"], resources: ["*"], namespaces: ["*"]}
`;

/** Pods and their owners, but not events. */
const noEvents = `
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: ["", apps], resources: [pods, replicasets, deployments], namespaces: ["*"]}
`;

/** kubectl's output, as the admin. */
async function k(...args) {
  const { code, stdout, stderr } = await kubectl(required('KUBECONFIG'), ...args);
  assert.equal(code, 0, stderr);
  return stdout.trim();
}

async function serve(config) {
  const server = await startServer({
    plugins: pluginsDir(builtPlugin('kube-core')),
    args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', configFile(config)],
  });
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  return { server, client };
}

async function describeObject(client, args) {
  const result = await client.callTool({ name: 'resources_describe', arguments: args });
  return { isError: result.isError === true, text: result.content[0]?.text ?? '' };
}

describe('resources_describe', () => {
  let server;
  let client;
  before(async () => ({ server, client } = await serve(everything)));
  after(async () => { await client?.close(); await server?.stop(); });

  test('is listed read-only, with described arguments', async () => {
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === 'resources_describe');
    assert.ok(tool, 'resources_describe is listed');
    assert.equal(tool.annotations.readOnlyHint, true);
    for (const arg of ['apiVersion', 'kind', 'namespace', 'name']) {
      assert.ok(tool.inputSchema.properties[arg]?.description, `${arg} is described`);
    }
    assert.deepEqual([...tool.inputSchema.required].sort(), ['apiVersion', 'kind', 'name']);
  });

  test('a pod in CrashLoopBackOff: state, last termination, restarts, probes, resources, volumes, merged events', async () => {
    const { isError, text } = await describeObject(client, { apiVersion: 'v1', kind: 'Pod', namespace: 'ops', name: 'crashy' });
    assert.equal(isError, false, text);
    console.log(`# resources_describe ops/crashy: ${Buffer.byteLength(text)} bytes\n${text.replace(/^/gm, '# ')}`);
    assert.match(text, /^Name: crashy$/m);
    assert.match(text, /^Namespace: ops$/m);
    assert.match(text, /^Node: kwok-node-\d+$/m);
    assert.match(text, /State: Waiting \(CrashLoopBackOff: back-off 2m40s restarting failed container=app/);
    assert.match(text, /Last State: Terminated \(Error, exit code 1, finished \d+[smhd] ago\)/);
    assert.match(text, /Ready: false {2}Restarts: 6/);
    assert.match(text, /Liveness: http-get http:\/\/:8080\/healthz delay=5s timeout=1s period=10s/);
    assert.match(text, /Requests: cpu=100m, memory=64Mi/);
    assert.match(text, /Limits: memory=128Mi/);
    assert.match(text, /Mounts: \/etc\/crashy from config \(ro\), \/tmp from scratch/);
    assert.match(text, /config: configMap crashy-config/);
    assert.match(text, /scratch: emptyDir/);
    assert.match(text, /Ready +False +ContainersNotReady/);
    // The two BackOff reports (7 and 5) are one line counting 12.
    const backoff = text.split('\n').filter((l) => /\bBackOff\b/.test(l));
    assert.equal(backoff.length, 1, backoff.join('\n'));
    assert.match(backoff[0], /Warning +BackOff +x12 over \d+[smhd]/);
    assert.match(text, /Normal +Pulled +x1\b/);
  });

  test('a Deployment: replicas, template, conditions, its ReplicaSets with revisions and its pods; a pod names its owner chain', async () => {
    const { text } = await describeObject(client, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web' });
    assert.match(text, /^Selector: app=web$/m);
    assert.match(text, /^Replicas: 2 desired, 2 updated, 2 total, 2 ready, 2 available$/m);
    assert.match(text, /^Strategy: RollingUpdate \(maxSurge=25%, maxUnavailable=25%\)$/m);
    assert.match(text, /nginx: nginx:1\.27/);
    assert.match(text, /Available +True +MinimumReplicasAvailable/);
    assert.match(text, /^ReplicaSets \(\d+\):$/m);
    assert.match(text, /NAME +REVISION +DESIRED +READY +AGE/);
    assert.match(text, /^Pods \(2\):$/m);
    const pod = await k('-n', 'demo', 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}');
    assert.match(text, new RegExp(`^ {2}${pod} +1/1 +Running +0 +kwok-node-\\d+`, 'm'));
    const rs = await k('-n', 'demo', 'get', 'pod', pod, '-o', 'jsonpath={.metadata.ownerReferences[0].name}');
    const podText = (await describeObject(client, { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: pod })).text;
    assert.match(podText, new RegExp(`^Controlled By: ReplicaSet ${rs} <- Deployment web$`, 'm'));
  });

  test('a node: conditions, capacity, allocatable, taints, and its pods with their requests', async () => {
    const node = await k('-n', 'ops', 'get', 'pod', 'crashy', '-o', 'jsonpath={.spec.nodeName}');
    const { isError, text } = await describeObject(client, { apiVersion: 'v1', kind: 'Node', name: node });
    assert.equal(isError, false, text);
    assert.match(text, /^Taints: /m);
    assert.match(text, /^Capacity: cpu=\S+, memory=\S+, pods=\d+/m);
    assert.match(text, /^Allocatable: cpu=/m);
    assert.match(text, /Ready +True/);
    assert.match(text, /^Non-terminated Pods \(\d+\+?(, the first 500 counted)?\):$/m);
    assert.match(text, /ops +crashy +100m +0 +64Mi +128Mi/);
    assert.match(text, /^Allocated resources:$/m);
    assert.match(text, /cpu +\d+m \(\d+%\)/);
    assert.ok(Buffer.byteLength(text) <= 32 * 1024, `within the answer budget: ${Buffer.byteLength(text)} bytes`);
  });

  test('a custom resource: its spec and status highlights', async () => {
    const { isError, text } = await describeObject(client, { apiVersion: 'example.kube-mcp.io/v1', kind: 'Widget', namespace: 'demo', name: 'widget-a' });
    assert.equal(isError, false, text);
    assert.match(text, /^Kind: Widget \(example\.kube-mcp\.io\/v1\)$/m);
    assert.match(text, /^Spec:\n(?: {2}.*\n)*? {2}size: small$/m);
    assert.match(text, /^Labels: color=red$/m);
  });

  test('bad input is a clear tool error', async () => {
    const unknown = await describeObject(client, { apiVersion: 'v1', kind: 'Gizmo', namespace: 'demo', name: 'x' });
    assert.equal(unknown.isError, true);
    assert.match(unknown.text, /the cluster has no kind 'Gizmo' in apiVersion 'v1'/);
    const missing = await describeObject(client, { apiVersion: 'v1', kind: 'Pod', namespace: 'ops', name: 'nope' });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /^NotFound \(404\): pods "nope" not found/);
    const noNamespace = await describeObject(client, { apiVersion: 'v1', kind: 'Pod', name: 'crashy' });
    assert.equal(noNamespace.isError, true);
    assert.match(noNamespace.text, /Pod is namespaced: give its namespace/);
  });
});

describe('resources_describe with a grant that leaves out events', () => {
  let server;
  let client;
  before(async () => ({ server, client } = await serve(noEvents)));
  after(async () => { await client?.close(); await server?.stop(); });

  test('the object is described; the events section says which grant refused it', async () => {
    const { isError, text } = await describeObject(client, { apiVersion: 'v1', kind: 'Pod', namespace: 'ops', name: 'crashy' });
    assert.equal(isError, false, text);
    assert.match(text, /State: Waiting \(CrashLoopBackOff/);
    assert.match(text, /^Events: <not listed: denied by grant: list on events/m);
  });
});

describe('pods_top and nodes_top, from metrics-server scraping kwok', () => {
  let server;
  let client;
  before(async () => ({ server, client } = await serve(everything)));
  after(async () => { await client?.close(); await server?.stop(); });

  const top = async (name, args) => {
    const result = await client.callTool({ name, arguments: args });
    return { isError: result.isError === true, text: result.content.map((c) => c.text).join('\n'), rows: result.structuredContent?.rows ?? [] };
  };

  /** pods_top of the load fixtures, once metrics-server has two scrapes of all three. */
  async function loadPods(sortBy) {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const result = await top('pods_top', { namespace: 'ops', labelSelector: 'app=load', sortBy });
      if (result.rows.length === 3 || Date.now() > deadline) return result;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  test('pods_top: real scrapes, the heaviest first by CPU or by memory', async () => {
    const byCpu = await loadPods('cpu');
    assert.equal(byCpu.isError, false, byCpu.text);
    assert.deepEqual(byCpu.rows.map((r) => r.Name), ['load-high', 'load-mid', 'load-low'], byCpu.text);
    const cpu = Object.fromEntries(byCpu.rows.map((r) => [r.Name, r['CPU (millicores)']]));
    for (const [pod, want] of [['load-high', 400], ['load-mid', 150], ['load-low', 20]]) {
      assert.ok(Math.abs(cpu[pod] - want) <= want * 0.15 + 2, `${pod}: ${cpu[pod]}m, about ${want}m`);
    }
    assert.match(byCpu.text, /^NAME +CPU \(CORES\) +MEMORY \(BYTES\)$/m);
    const byMemory = await loadPods('memory');
    assert.deepEqual(byMemory.rows.map((r) => r.Name), ['load-mid', 'load-high', 'load-low']);
    assert.equal(byMemory.rows[0]['Memory (bytes)'], '500Mi');
  });

  test('pods_top across namespaces, per container; nodes_top with shares of allocatable', async () => {
    const all = await top('pods_top', { containers: true, limit: 5 });
    assert.equal(all.isError, false, all.text);
    assert.match(all.text, /^NAMESPACE +NAME +CONTAINER +CPU \(CORES\) +MEMORY \(BYTES\)$/m);
    assert.ok(all.rows.length <= 5 && all.rows.every((r) => r.Namespace && r.Container));
    const cpus = all.rows.map((r) => r['CPU (millicores)']);
    assert.deepEqual(cpus, [...cpus].sort((a, b) => b - a), 'the heaviest first');
    const nodes = await top('nodes_top', {});
    assert.equal(nodes.isError, false, nodes.text);
    const node0 = nodes.rows.find((r) => r.Name === 'kwok-node-0');
    assert.ok(node0, nodes.text);
    assert.match(node0['CPU%'], /^\d+%$/);
    assert.ok(node0['CPU (millicores)'] >= 400, `kwok-node-0 carries load-high and load-low: ${node0['CPU (millicores)']}m`);
    const one = await top('nodes_top', { name: 'nope' });
    assert.equal(one.isError, true);
    assert.match(one.text, /^no metrics for node nope/);
  });
});

describe('pods_top without a Metrics API', () => {
  test('says so in one line', async () => {
    const admin = required('KUBECONFIG');
    const saved = await k('get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'json');
    const spec = JSON.parse(saved);
    await k('delete', 'apiservice', 'v1beta1.metrics.k8s.io');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-')), 'apiservice.json');
    fs.writeFileSync(file, JSON.stringify({ apiVersion: spec.apiVersion, kind: spec.kind, metadata: { name: spec.metadata.name }, spec: spec.spec }));
    let s;
    try {
      s = await serve(everything);
      for (const name of ['pods_top', 'nodes_top']) {
        const result = await s.client.callTool({ name, arguments: {} });
        assert.equal(result.isError, true);
        assert.equal(result.content.length, 1);
        assert.match(result.content[0].text, /^this cluster has no Metrics API \(metrics\.k8s\.io is not served\): install metrics-server/);
      }
    } finally {
      await s?.client.close();
      await s?.server.stop();
      await kubectl(admin, 'apply', '-f', file);
      await kubectl(admin, 'wait', '--for', 'condition=Available', 'apiservice/v1beta1.metrics.k8s.io', '--timeout', '120s');
    }
  });
});
