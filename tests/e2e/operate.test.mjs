// The operating plugins against the real control plane: kube-rollouts
// (status, history and undo of a Deployment with three revisions) and
// kube-nodes (cordon, uncordon, and a drain a PodDisruptionBudget holds
// back until it allows it), each with only the grant it needs.

import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { kubectl, required } from './lib/env.mjs';
import { configFile, serveGranted } from './lib/granted.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const rolloutGrant = `
    kube-rollouts:
      - {verbs: [get, list], apiGroups: [apps], resources: [deployments, statefulsets, daemonsets, replicasets, controllerrevisions], namespaces: ["*"]}
      - {verbs: [patch], apiGroups: [apps], resources: [deployments, statefulsets, daemonsets], namespaces: ["*"]}`;
const nodeGrant = (eviction = true) => `
    kube-nodes:
      - {verbs: [get, patch], apiGroups: [""], resources: [nodes], namespaces: ["*"]}
      - {verbs: [get, list], apiGroups: [""], resources: [pods], namespaces: ["*"]}${eviction ? `
      - {verbs: [create], apiGroups: [""], resources: [pods/eviction], namespaces: ["*"]}` : ''}`;

/** kubectl as the admin; its trimmed output (fails the test on an error). */
async function k(...args) {
  const { code, stdout, stderr } = await kubectl(required('KUBECONFIG'), ...args);
  assert.equal(code, 0, `kubectl ${args.join(' ')}: ${stderr}`);
  return stdout.trim();
}

async function apply(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-')), 'objects.yaml');
  fs.writeFileSync(file, yaml);
  return k('apply', '-f', file);
}

const serve = serveGranted;

describe('kube-rollouts: a Deployment with three revisions', () => {
  const name = `roll-${crypto.randomBytes(3).toString('hex')}`;
  let s;
  before(async () => {
    s = await serve(['kube-rollouts'], rolloutGrant);
    await apply(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ops
  annotations: {kubernetes.io/change-cause: "first: app 1"}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: "ghcr.io/example/app:1"}]}
`);
    await k('-n', 'ops', 'rollout', 'status', `deployment/${name}`, '--timeout', '120s');
    // As people record a change-cause: change, then annotate (the
    // Deployment controller copies the annotation to the newest ReplicaSet).
    for (const version of [2, 3]) {
      await k('-n', 'ops', 'set', 'image', `deployment/${name}`, `app=ghcr.io/example/app:${version}`);
      await k('-n', 'ops', 'annotate', '--overwrite', `deployment/${name}`, `kubernetes.io/change-cause=app ${version}`);
      await k('-n', 'ops', 'rollout', 'status', `deployment/${name}`, '--timeout', '120s');
    }
  });
  after(async () => {
    await kubectl(required('KUBECONFIG'), '-n', 'ops', 'delete', 'deployment', name, '--ignore-not-found');
    await s?.client.close();
    await s?.server.stop();
  });
  const target = { kind: 'Deployment', namespace: 'ops', name };

  test('the tools carry annotations and a described schema', async () => {
    const { tools } = await s.client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    assert.equal(byName.rollout_status.annotations.readOnlyHint, true);
    assert.equal(byName.rollout_history.annotations.readOnlyHint, true);
    assert.ok(byName.rollout_history.outputSchema, 'history declares its rows');
    assert.equal(byName.rollout_undo.annotations.destructiveHint, true);
    assert.ok(byName.rollout_undo.inputSchema.properties.toRevision.description);
  });

  test('rollout_status: complete', async () => {
    const status = await s.call('rollout_status', target);
    assert.equal(status.isError, false, status.text);
    assert.match(status.text, new RegExp(`^the rollout of Deployment ops/${name} is complete: 2 of 2 pods updated, 2 available`));
  });

  test('rollout_history: three revisions with change-cause and images, the last current', async () => {
    const history = await s.call('rollout_history', target);
    assert.equal(history.isError, false, history.text);
    assert.match(history.text, /^3\s.*app 3; app=ghcr\.io\/example\/app:3 \(current\)$/m);
    assert.match(history.text, /^1\s.*first: app 1; app=ghcr\.io\/example\/app:1$/m);
    assert.deepEqual(history.structured.rows.map((r) => [r.Revision, r.Current]), [[1, false], [2, false], [3, true]]);
    const detail = await s.call('rollout_history', { ...target, revision: 2 });
    assert.match(detail.text, /revision 2 \(from /);
    assert.match(detail.text, /"image": "ghcr\.io\/example\/app:2"/);
  });

  test('rollout_undo: a dry run changes nothing; then back to the previous revision, confirmed', async () => {
    const dry = await s.call('rollout_undo', { ...target, dryRun: true });
    assert.equal(dry.isError, false, dry.text);
    assert.match(dry.text, /^dry run: .* would go back from revision 3 to revision 2 \(app=ghcr\.io\/example\/app:2\)/);
    assert.equal(await k('-n', 'ops', 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'), 'ghcr.io/example/app:3');
    s.asked.length = 0;
    const undo = await s.call('rollout_undo', target);
    assert.equal(undo.isError, false, undo.text);
    assert.deepEqual(s.asked, [`Roll Deployment ops/${name} back from revision 3 to revision 2 (app=ghcr.io/example/app:2)?`]);
    assert.equal(await k('-n', 'ops', 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'), 'ghcr.io/example/app:2');
    const status = await s.call('rollout_status', { ...target, timeoutSeconds: 9 });
    assert.match(status.text, /is complete/);
    // As kubectl shows it: revision 2 became revision 4.
    const history = await s.call('rollout_history', target);
    assert.deepEqual(history.structured.rows.map((r) => [r.Revision, r.Current]), [[1, false], [3, false], [4, true]]);
    assert.match(await k('-n', 'ops', 'rollout', 'history', `deployment/${name}`), /^4\s+app 2$/m);
  });

  test('bad input: an unknown revision, a kind without rollouts, a missing workload; a declined undo changes nothing', async () => {
    const unknown = await s.call('rollout_undo', { ...target, toRevision: 9 });
    assert.equal(unknown.isError, true);
    assert.equal(unknown.text, 'revision 9 not found: the revisions are 1, 3, 4; nothing was changed');
    const kind = await s.call('rollout_history', { kind: 'Pod', namespace: 'ops', name });
    assert.match(kind.text, /^Pod has no rollouts: use Deployment, StatefulSet or DaemonSet$/);
    const missing = await s.call('rollout_status', { kind: 'Deployment', namespace: 'ops', name: 'nope' });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /^NotFound \(404\): deployments\.apps "nope" not found/);
    s.answers.next = { action: 'decline' };
    try {
      const declined = await s.call('rollout_undo', { ...target, toRevision: 1 });
      assert.equal(declined.text, 'the user declined; nothing was changed');
    } finally {
      s.answers.next = { action: 'accept', content: { confirm: true } };
    }
    assert.equal(await k('-n', 'ops', 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'), 'ghcr.io/example/app:2');
  });
});

describe('kube-nodes: cordon, uncordon, and a drain held back by a PodDisruptionBudget', () => {
  const id = crypto.randomBytes(3).toString('hex');
  const [guarded, agent, loner] = [`guarded-${id}`, `agent-${id}`, `loner-${id}`];
  const node = 'kwok-drain-0';
  const toleration = '[{key: kube-mcp.io/pool, operator: Equal, value: drain, effect: NoSchedule}]';
  let s;
  before(async () => {
    s = await serve(['kube-nodes'], nodeGrant());
    await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: ${guarded}, namespace: ops}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${guarded}}}
  template:
    metadata: {labels: {app: ${guarded}}}
    spec:
      nodeSelector: {kube-mcp.io/pool: drain}
      tolerations: ${toleration}
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, nodeTaintsPolicy: Honor, labelSelector: {matchLabels: {app: ${guarded}}}}
      containers: [{name: app, image: "ghcr.io/example/app:1"}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ${guarded}, namespace: ops}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: ${guarded}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${agent}, namespace: ops}
spec:
  selector: {matchLabels: {app: ${agent}}}
  template:
    metadata: {labels: {app: ${agent}}}
    spec:
      nodeSelector: {kube-mcp.io/pool: drain}
      tolerations: ${toleration}
      containers: [{name: agent, image: "ghcr.io/example/agent:1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: ${loner}, namespace: ops, labels: {app: ${loner}}}
spec:
  serviceAccountName: crashy
  nodeName: ${node}
  tolerations: ${toleration}
  containers: [{name: app, image: "ghcr.io/example/app:1"}]
`);
    await k('-n', 'ops', 'rollout', 'status', `deployment/${guarded}`, '--timeout', '120s');
    await k('-n', 'ops', 'rollout', 'status', `daemonset/${agent}`, '--timeout', '120s');
    await k('-n', 'ops', 'wait', '--for', 'condition=Ready', `pod/${loner}`, '--timeout', '120s');
  });
  after(async () => {
    const admin = required('KUBECONFIG');
    for (const n of [node, 'kwok-drain-1']) await kubectl(admin, 'uncordon', n);
    for (const what of [`deployment/${guarded}`, `pdb/${guarded}`, `daemonset/${agent}`, `pod/${loner}`]) {
      await kubectl(admin, '-n', 'ops', 'delete', what, '--ignore-not-found', '--wait=false');
    }
    await s?.client.close();
    await s?.server.stop();
  });
  const unschedulable = async (n) => (await k('get', 'node', n, '-o', 'jsonpath={.spec.unschedulable}')) === 'true';

  test('the plugin asks for the least it needs', async () => {
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['nodes_cordon', 'nodes_drain', 'nodes_log', 'nodes_stats_summary', 'nodes_uncordon']);
    for (const read of ['nodes_log', 'nodes_stats_summary']) {
      assert.equal(tools.find((t) => t.name === read).annotations.readOnlyHint, true, read);
    }
    const drain = tools.find((t) => t.name === 'nodes_drain');
    assert.equal(drain.annotations.destructiveHint, true);
    for (const arg of ['name', 'gracePeriodSeconds', 'timeoutSeconds', 'force', 'deleteEmptyDirData', 'dryRun']) {
      assert.ok(drain.inputSchema.properties[arg]?.description, arg);
    }
  });

  test('cordon and uncordon, each confirmed', async () => {
    s.asked.length = 0;
    const cordon = await s.call('nodes_cordon', { name: 'kwok-drain-1' });
    assert.equal(cordon.text, 'node kwok-drain-1 cordoned');
    assert.equal(await unschedulable('kwok-drain-1'), true);
    assert.equal((await s.call('nodes_cordon', { name: 'kwok-drain-1' })).text, 'node kwok-drain-1 is already cordoned; nothing was changed');
    const uncordon = await s.call('nodes_uncordon', { name: 'kwok-drain-1' });
    assert.equal(uncordon.text, 'node kwok-drain-1 uncordoned');
    assert.equal(await unschedulable('kwok-drain-1'), false);
    assert.deepEqual(s.asked, [
      'Cordon node kwok-drain-1 (no new pods will be scheduled on it)?',
      'Uncordon node kwok-drain-1 (pods may be scheduled on it again)?',
    ]);
  });

  test('bad input: a node that does not exist; an unmanaged pod without force', async () => {
    const missing = await s.call('nodes_drain', { name: 'nope' });
    assert.equal(missing.isError, true);
    assert.equal(missing.text, 'node nope not found; nothing was changed');
    const unforced = await s.call('nodes_drain', { name: node });
    assert.equal(unforced.isError, true);
    assert.match(unforced.text, new RegExp(`^cannot drain node ${node}: 1 pod\\(s\\) have no controller and would not come back: ops/${loner} \\(force: true evicts them\\); nothing was changed$`));
    assert.equal(await unschedulable(node), false, 'not even cordoned');
  });

  test('the plan, as a dry run: DaemonSet pods are skipped', async () => {
    const guardedHere = await k('-n', 'ops', 'get', 'pods', '-l', `app=${guarded}`, '--field-selector', `spec.nodeName=${node}`, '-o', 'jsonpath={.items[*].metadata.name}');
    assert.ok(guardedHere, 'one guarded pod runs on the node');
    const plan = await s.call('nodes_drain', { name: node, force: true, dryRun: true });
    assert.equal(plan.isError, false, plan.text);
    assert.match(plan.text, new RegExp(`^dry run: would cordon node ${node} and evict 2 pod\\(s\\) \\(.*ops/${guardedHere}.*\\); skip 1 \\(DaemonSet: ops/${agent}-\\w+\\); nothing was changed$`));
    assert.match(plan.text, new RegExp(`ops/${loner}`));
    assert.equal(await unschedulable(node), false);
  });

  test('a PodDisruptionBudget holds an eviction back (reported, not bypassed); once it allows, the drain completes', async () => {
    const guardedHere = await k('-n', 'ops', 'get', 'pods', '-l', `app=${guarded}`, '--field-selector', `spec.nodeName=${node}`, '-o', 'jsonpath={.items[0].metadata.name}');
    const held = await s.call('nodes_drain', { name: node, force: true, timeoutSeconds: 8, gracePeriodSeconds: 0 });
    assert.equal(held.isError, true, held.text);
    assert.match(held.text, new RegExp(`^node ${node} is cordoned but not drained after \\d+ s: 1 of 2 pods gone; held back by a PodDisruptionBudget: ops/${guardedHere} for \\d+ s \\(Cannot evict pod as it would violate the pod's disruption budget\\.`));
    assert.equal(await unschedulable(node), true);
    assert.equal((await kubectl(required('KUBECONFIG'), '-n', 'ops', 'get', 'pod', guardedHere)).code, 0, 'the guarded pod was not deleted');
    assert.notEqual((await kubectl(required('KUBECONFIG'), '-n', 'ops', 'get', 'pod', loner)).code, 0, 'the unmanaged pod was evicted');
    await k('-n', 'ops', 'patch', 'pdb', guarded, '--type', 'merge', '-p', '{"spec":{"minAvailable":1}}');
    const drained = await s.call('nodes_drain', { name: node, timeoutSeconds: 9, gracePeriodSeconds: 0 });
    assert.equal(drained.isError, false, drained.text);
    assert.match(drained.text, new RegExp(`^node ${node} drained in \\d+ s: 1 pod\\(s\\) evicted \\(ops/${guardedHere}\\); skip 1 \\(DaemonSet: ops/${agent}-\\w+\\)$`));
    assert.equal(await k('-n', 'ops', 'get', 'pods', '-l', `app=${guarded}`, '--field-selector', `spec.nodeName=${node}`, '-o', 'name'), '');
  });

  test('without the eviction grant, drain stops at the first eviction and names the subresource', async () => {
    const narrow = await serve(['kube-nodes'], nodeGrant(false));
    try {
      const denied = await narrow.call('nodes_drain', { name: 'kwok-drain-1', timeoutSeconds: 5 });
      assert.equal(denied.isError, true);
      assert.match(denied.text, /^evicting ops\/\S+ failed: denied by grant: create on pods\/eviction in namespace ops is not allowed for this plugin/);
    } finally {
      await narrow.client.close();
      await narrow.server.stop();
      await k('uncordon', 'kwok-drain-1');
    }
  });
});

describe('kube-prompts: the troubleshooting prompts', () => {
  let server;
  let client;
  before(async () => {
    server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-prompts')),
      args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', configFile(`
tools:
  disallowed: ["prompt:capacity_report"]
`)],
    });
    client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  });
  after(async () => { await client?.close(); await server?.stop(); });

  test('listed with their arguments; one the policy denies is neither listed nor rendered', async () => {
    const { prompts } = await client.listPrompts();
    const byName = Object.fromEntries(prompts.map((p) => [p.name, p]));
    assert.deepEqual(Object.keys(byName).sort(), ['cluster_health_check', 'troubleshoot_workload']);
    assert.deepEqual(byName.troubleshoot_workload.arguments.map((a) => [a.name, a.required]), [['namespace', true], ['name', true], ['kind', false]]);
    await assert.rejects(client.getPrompt({ name: 'capacity_report' }), /unknown prompt/);
  });

  test('troubleshoot_workload walks through describe, logs, events and history of that workload', async () => {
    const result = await client.getPrompt({ name: 'troubleshoot_workload', arguments: { namespace: 'ops', name: 'crashy', kind: 'pod' } });
    assert.equal(result.description, 'Troubleshoot Pod ops/crashy');
    const text = result.messages[0].content.text;
    assert.equal(result.messages[0].role, 'user');
    assert.match(text, /^Find out why Pod crashy in namespace ops is not healthy\./);
    assert.match(text, /Call resources_describe with apiVersion v1, kind Pod, namespace ops, name crashy\./);
    assert.match(text, /pods_log with namespace ops, the pod's name, the container, previous: true/);
    assert.doesNotMatch(text, /rollout_history/, 'a bare pod has no rollouts');
    const deployment = (await client.getPrompt({ name: 'troubleshoot_workload', arguments: { namespace: 'demo', name: 'web' } })).messages[0].content.text;
    assert.match(deployment, /apiVersion apps\/v1, kind Deployment, namespace demo, name web/);
    assert.match(deployment, /rollout_history with kind Deployment, namespace demo, name web/);
    assert.match(deployment, /Change nothing/);
  });

  test('cluster_health_check, for one namespace', async () => {
    const text = (await client.getPrompt({ name: 'cluster_health_check', arguments: { namespace: 'ops' } })).messages[0].content.text;
    assert.match(text, /^Check the health of the cluster \(namespace ops\)\./);
    assert.match(text, /list_pods with namespace ops with fieldSelector status\.phase!=Running,status\.phase!=Succeeded/);
  });

  test('bad input: a missing argument, an unknown kind', async () => {
    await assert.rejects(client.getPrompt({ name: 'troubleshoot_workload', arguments: { namespace: 'ops' } }), /'name' is required/);
    await assert.rejects(client.getPrompt({ name: 'troubleshoot_workload', arguments: { namespace: 'ops', name: 'x', kind: 'Gizmo' } }), /kind 'Gizmo' is not one of Deployment, StatefulSet, DaemonSet, Pod/);
  });
});
