// The tasks extension (SEP-2663) against the real control plane: kube-ops
// `rollout_restart` with `wait: true` asks for confirmation (a
// multi-round-trip request), restarts, then goes on as a task that follows
// the rollout to its end; a rollout that cannot finish is cancelled; a
// caller's tasks are bounded.
//
// The whole flow is driven by the TypeScript SDK's tasks client
// (@modelcontextprotocol/ext-tasks 0.2.2 over @modelcontextprotocol/client
// 2.4.0, whose own callTool rejects `resultType: "task"`); the edges
// (cancel, status messages, bounds) with bare 2026-07-28 requests. The
// conformance suite's task scenarios run in conformance.test.mjs.

import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';

import { kubectl, required } from './lib/env.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';
import { TASKS, VERSION, post, rawDispatch, settled } from './lib/stateless.mjs';

const admin = () => required('KUBECONFIG');
const withTasks = { elicitation: {}, extensions: { [TASKS]: {} } };

function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-tasks-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

/** Calls `tool` and answers its confirmation; resolves to the final response. */
async function confirmed(url, tool, args, capabilities = withTasks) {
  const first = await post(url, 'tools/call', { name: tool, arguments: args }, { capabilities });
  assert.equal(first.body.result?.resultType, 'input_required', JSON.stringify(first.body));
  const [key] = Object.keys(first.body.result.inputRequests);
  return post(url, 'tools/call', {
    name: tool,
    arguments: args,
    inputResponses: { [key]: { action: 'accept', content: { confirm: true } } },
    requestState: first.body.result.requestState,
  }, { capabilities });
}

describe('kube-ops rollout_restart as a task', () => {
  let server;
  const stuck = `stuck-${crypto.randomBytes(3).toString('hex')}`;
  before(async () => {
    // A Deployment whose pods can never be scheduled: its rollout never ends.
    const manifest = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-tasks-')), 'stuck.yaml');
    fs.writeFileSync(manifest, `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${stuck}, namespace: demo}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${stuck}}}
  template:
    metadata: {labels: {app: ${stuck}}}
    spec:
      nodeSelector: {kube-mcp.test/none: "true"}
      containers: [{name: c, image: busybox:1.36}]
`);
    assert.equal((await kubectl(admin(), 'apply', '-f', manifest)).code, 0);
    server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-ops')),
      args: ['--no-auth', '--kubeconfig', admin(), '--config', configFile(`
plugins:
  grants:
    kube-ops:
      - {verbs: [get, patch], apiGroups: [apps], resources: [deployments], namespaces: [demo]}
`)],
    });
  });
  after(async () => {
    await server?.stop();
    await kubectl(admin(), 'delete', 'deployment', stuck, '-n', 'demo', '--ignore-not-found');
  });

  test('tools/list offers rollout_restart with wait', async () => {
    const { body } = await post(server.url, 'tools/list', {}, { capabilities: withTasks });
    const tool = body.result.tools.find((t) => t.name === 'rollout_restart');
    assert.equal(tool.inputSchema.properties.wait?.type, 'boolean', JSON.stringify(tool.inputSchema));
  });

  test('the TypeScript SDK\'s tasks client confirms, then follows the task to the end', async () => {
    const capabilities = { elicitation: { form: {} }, extensions: { [TASKS]: {} } };
    const client = new Client({ name: 'e2e-tasks', version: '1' }, { capabilities, versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const asked = [];
    const session = createTaskSessionFromClient(client, {
      endpointId: 'kube-mcp-e2e',
      rawDispatch: rawDispatch(server.url),
      v2RequestFraming: { protocolVersion: VERSION, clientInfo: { name: 'e2e-tasks', version: '1' }, clientCapabilities: capabilities },
      onInputRequest: async (request) => {
        asked.push(request.params.message);
        return { action: 'accept', content: { confirm: true } };
      },
    });
    try {
      const execution = await session.callTool('rollout_restart', { kind: 'Deployment', namespace: 'demo', name: 'web', wait: true });
      assert.equal(execution.kind, 'task');
      const { outcome } = await execution.settle();
      const result = resultFromTaskOutcome(outcome);
      assert.match(result.content[0].text, /Deployment demo\/web restarted; the rollout is complete: 2 of 2 pods updated, 2 available/);
      assert.deepEqual(asked, ['Restart the pods of Deployment demo/web?']);
    } finally {
      await session.close();
      await client.close();
    }
  });

  test('confirmed, restarted, then followed as a task until the rollout completes', async () => {
    const before = JSON.parse((await kubectl(admin(), 'get', 'deployment', 'web', '-n', 'demo', '-o', 'json')).stdout);
    const created = await confirmed(server.url, 'rollout_restart', { kind: 'Deployment', namespace: 'demo', name: 'web', wait: true });
    const task = created.body.result;
    assert.equal(task?.resultType, 'task', JSON.stringify(created.body));
    assert.ok(task.taskId && Number.isInteger(task.ttlMs) && task.ttlMs > 0, JSON.stringify(task));
    assert.ok(!('requestState' in task), 'the task carries no request state');
    const done = await settled(server.url, task.taskId, { capabilities: withTasks });
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.result.isError ?? false, false, JSON.stringify(done));
    assert.match(done.result.content[0].text, /Deployment demo\/web restarted; the rollout is complete: 2 of 2 pods updated, 2 available/);
    const after = JSON.parse((await kubectl(admin(), 'get', 'deployment', 'web', '-n', 'demo', '-o', 'json')).stdout);
    assert.ok(after.metadata.generation > before.metadata.generation, 'the pod template changed');
    assert.ok(after.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);
    assert.ok(server.log.some((e) => e.message === 'tool call' && e.tool === 'rollout_restart' && e.outcome === 'task'));
  });

  test('a rollout that cannot finish runs until the client cancels it', async () => {
    const created = await confirmed(server.url, 'rollout_restart', { kind: 'Deployment', namespace: 'demo', name: stuck, wait: true });
    const { taskId } = created.body.result;
    assert.ok(taskId, JSON.stringify(created.body));
    // It reports how far it got while it works.
    let working;
    for (let i = 0; i < 40; i++) {
      working = (await post(server.url, 'tasks/get', { taskId }, { capabilities: withTasks })).body.result;
      if (working.statusMessage) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(working.status, 'working', JSON.stringify(working));
    assert.match(working.statusMessage, new RegExp(`^Deployment demo/${stuck}: \\d of 1 pods updated, 0 available$`));
    const ack = await post(server.url, 'tasks/cancel', { taskId }, { capabilities: withTasks });
    assert.deepEqual(ack.body.result, { resultType: 'complete' });
    const end = await settled(server.url, taskId, { capabilities: withTasks, ms: 10_000 });
    assert.equal(end.status, 'cancelled', JSON.stringify(end));
  });

  test('a dry run neither asks nor waits, and is never a task', async () => {
    const direct = await post(server.url, 'tools/call', {
      name: 'rollout_restart',
      arguments: { kind: 'Deployment', namespace: 'demo', name: 'web', dryRun: true, wait: true },
    }, { capabilities: withTasks });
    assert.equal(direct.body.result.resultType, 'complete', JSON.stringify(direct.body));
    assert.ok(!('taskId' in direct.body.result));
  });
});

describe('tasks are bounded per caller', () => {
  let server;
  before(async () => {
    server = await startServer({
      plugins: pluginsDir(builtPlugin('conformance')),
      args: ['--no-auth', '--max-tasks-per-caller', '1', '--task-timeout', '5s'],
    });
  });
  after(() => server?.stop());

  test('past the bound a call runs within its request; a task stops at its timeout, failed', async () => {
    const first = await post(server.url, 'tools/call', { name: 'slow_compute', arguments: { seconds: 60, label: 'long' } }, { capabilities: withTasks });
    assert.equal(first.body.result.resultType, 'task', JSON.stringify(first.body));
    const second = await post(server.url, 'tools/call', { name: 'slow_compute', arguments: { seconds: 0, label: 'short' } }, { capabilities: withTasks });
    assert.equal(second.body.result.resultType, 'complete', JSON.stringify(second.body));
    assert.match(second.body.result.content[0].text, /computed short/);
    // The first stops at the task timeout (5 s), failed with the reason.
    const end = await settled(server.url, first.body.result.taskId, { capabilities: withTasks, ms: 60_000 });
    assert.equal(end.status, 'failed', JSON.stringify(end));
    assert.match(end.error.message, /exceeded its 5s time limit/);
  });
});
