// The tools that reach into workloads, against the real control plane:
// kube-exec (pods_exec through the API server's exec WebSocket and kwok's
// simulated exec, which runs the command on this machine; pods_run),
// kube-http (pods_proxy_get and services_proxy_get through the proxy
// subresource, to an HTTP server this test starts at the address
// tests/env/up gave ops/web-probe) and kube-nodes' kubelet tools. Each
// plugin has only the grant it needs.

import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { kubectl, required } from './lib/env.mjs';
import { serveGranted } from './lib/granted.mjs';

const execGrant = `
    kube-exec:
      - {verbs: [create], apiGroups: [""], resources: [pods/exec], namespaces: [ops]}
      - {verbs: [create, get, delete], apiGroups: [""], resources: [pods], namespaces: [ops]}
      - {verbs: [get], apiGroups: [""], resources: [pods/log], namespaces: [ops]}`;
const httpGrant = (services = true) => `
    kube-http:
      - {verbs: [get], apiGroups: [""], resources: [pods/proxy${services ? ', services/proxy' : ''}], namespaces: [ops]}`;
const nodesGrant = `
    kube-nodes:
      - {verbs: [get], apiGroups: [""], resources: [nodes/proxy], namespaces: ["*"]}`;

const serve = serveGranted;

describe('kube-exec: pods_exec through kwok exec', () => {
  let s;
  before(async () => { s = await serve(['kube-exec'], execGrant); });
  after(async () => { await s?.client.close(); await s?.server.stop(); });
  const exec = (command, more = {}) =>
    s.call('pods_exec', { namespace: 'ops', name: 'toolbox', container: 'shell', command, ...more });

  test('the tool is described: a command array, annotations, an output schema', async () => {
    const { tools } = await s.client.listTools();
    const tool = tools.find((t) => t.name === 'pods_exec');
    assert.equal(tool.inputSchema.properties.command.type, 'array');
    assert.match(tool.inputSchema.properties.command.description, /No shell is added/);
    assert.equal(tool.annotations.readOnlyHint, false);
    assert.equal(tool.annotations.destructiveHint, true);
    assert.ok(tool.outputSchema.properties.exitCode);
  });

  test('stdout and stderr come separated, with exit code 0, after the user confirmed', async () => {
    const before = s.asked.length;
    const r = await exec(['sh', '-c', 'echo "to out"; echo "to err" >&2; echo "$KWOK_EXEC"']);
    assert.equal(r.isError, false, r.text);
    assert.equal(r.structured.exitCode, 0);
    assert.equal(r.structured.stdout, 'to out\nsimulated\n');
    assert.equal(r.structured.stderr, 'to err\n');
    assert.match(r.text, /^exit code 0\n--- stdout ---\nto out\nsimulated\n--- stderr ---\nto err\n/);
    assert.equal(s.asked.length, before + 1);
    assert.match(s.asked.at(-1), /Run \["sh","-c",.*\] in pod ops\/toolbox \(container shell\)\?/);
  });

  test('a non-zero exit code is reported as the command\'s answer', async () => {
    const r = await exec(['sh', '-c', 'echo partial; exit 3']);
    assert.equal(r.isError, false, r.text);
    assert.equal(r.structured.exitCode, 3);
    assert.match(r.text, /^the command exited with code 3\n--- stdout ---\npartial\n/);
  });

  test('stdin reaches the command, and no shell splits the arguments', async () => {
    // Reads two lines rather than to the end: kwok's local exec never
    // closes the process's stdin, though the stream's stdin is closed.
    const r = await exec(['sh', '-c', 'read a; read b; echo "$b / $a"'], { stdin: 'line one\nline two\n' });
    assert.equal(r.structured.timedOut, false, r.text);
    assert.equal(r.structured.exitCode, 0, r.text);
    assert.equal(r.structured.stdout, 'line two / line one\n', r.text);
    const literal = await exec(['echo', '$HOME; rm -rf /', '*']);
    assert.equal(literal.structured.stdout, '$HOME; rm -rf / *\n');
  });

  test('a command that is not an array is a clear error, and nothing runs', async () => {
    const before = s.asked.length;
    const r = await exec('ls -l');
    assert.equal(r.isError, true);
    assert.match(r.text, /command.*must be an array of strings.*no shell/s);
    assert.equal(s.asked.length, before, 'the user was not asked about a malformed call');
  });

  test('the timeout cuts a command off, with what it wrote so far', async () => {
    const r = await exec(['sh', '-c', 'echo started; sleep 30'], { timeoutSeconds: 2 });
    assert.equal(r.isError, true, r.text);
    assert.equal(r.structured.timedOut, true);
    assert.equal(r.structured.exitCode, null);
    assert.match(r.text, /^the command did not end within 2 s.*\n--- stdout ---\nstarted\n/s);
  });

  test('the output cap stops reading, and says so', async () => {
    const r = await exec(['sh', '-c', 'yes kube-mcp | head -n 100000'], { limitBytes: 1000 });
    assert.equal(r.isError, true, r.text.slice(0, 200));
    assert.equal(r.structured.truncated, true);
    assert.equal(r.structured.stdout.length, 1000);
    assert.match(r.text, /^the command's output exceeded 1000 bytes/);
  });

  test('a declined confirmation runs nothing', async () => {
    const marker = `declined-${crypto.randomBytes(3).toString('hex')}`;
    const file = path.join(required('KUBE_MCP_ENV_STATE'), 'exec', marker);
    s.answers.next = { action: 'decline' };
    try {
      const r = await exec(['touch', marker]);
      assert.equal(r.isError, true);
      assert.match(r.text, /declined; nothing was changed/);
    } finally {
      s.answers.next = { action: 'accept', content: { confirm: true } };
    }
    assert.equal(fs.existsSync(file), false, 'the command did not run');
    const r = await exec(['touch', marker]);
    assert.equal(r.isError, false, r.text);
    assert.equal(fs.existsSync(file), true, 'with the confirmation, it does');
    fs.rmSync(file);
  });

  test('API errors keep their words: a pod with two containers, a missing pod', async () => {
    const two = await s.call('pods_exec', { namespace: 'ops', name: 'toolbox', command: ['true'] });
    assert.equal(two.isError, true);
    assert.match(two.text, /container name must be specified.*shell.*sidecar/);
    const missing = await s.call('pods_exec', { namespace: 'ops', name: 'no-such-pod', command: ['true'] });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /NotFound \(404\).*no-such-pod/);
  });

  test('outside its grant: denied by the host, naming pods/exec', async () => {
    const r = await s.call('pods_exec', { namespace: 'demo', name: 'web', command: ['true'] });
    assert.equal(r.isError, true);
    assert.match(r.text, /denied by grant: create on pods\/exec in namespace demo/);
  });
});

describe('kube-exec: pods_run', () => {
  let s;
  before(async () => { s = await serve(['kube-exec'], execGrant); });
  after(async () => { await s?.client.close(); await s?.server.stop(); });
  const exists = async (name) => (await kubectl(required('KUBECONFIG'), '-n', 'ops', 'get', 'pod', name)).code === 0;

  test('a one-shot pod runs to completion, its log is returned, and it is deleted', async () => {
    const name = `once-${crypto.randomBytes(3).toString('hex')}`;
    const r = await s.call('pods_run', {
      namespace: 'ops', name, image: 'docker.io/library/busybox:1.37', command: ['echo', 'hello'], oneShot: true,
    });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, new RegExp(`^pod ops/${name} ran to completion: Succeeded, exit code 0; the pod was deleted`));
    assert.match(r.text, /--- log ---/);
    assert.match(s.asked.at(-1), new RegExp(`Run image docker.io/library/busybox:1.37 as pod ops/${name} \\(one-shot`));
    // Deleted with no grace period: gone at once.
    assert.equal(await exists(name), false);
  });

  test('a dry run shows the pod and creates nothing', async () => {
    const name = `dry-${crypto.randomBytes(3).toString('hex')}`;
    const r = await s.call('pods_run', { namespace: 'ops', name, image: 'busybox:1.37', env: { MODE: 'x' }, dryRun: true });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /^dry run: would run image busybox:1.37/);
    assert.match(r.text, /"restartPolicy": "Always"/);
    assert.match(r.text, /"name": "MODE"/);
    assert.equal(await exists(name), false);
  });

  test('a long-running pod is created and left running', async () => {
    const name = `keep-${crypto.randomBytes(3).toString('hex')}`;
    try {
      const r = await s.call('pods_run', { namespace: 'ops', name, image: 'busybox:1.37', args: ['sleep', '3600'] });
      assert.equal(r.isError, false, r.text);
      const { stdout } = await kubectl(required('KUBECONFIG'), '-n', 'ops', 'get', 'pod', name, '-o', 'json');
      const pod = JSON.parse(stdout);
      assert.equal(pod.spec.restartPolicy, 'Always');
      assert.deepEqual(pod.spec.containers[0].args, ['sleep', '3600']);
      assert.equal(pod.metadata.labels['app.kubernetes.io/managed-by'], 'kube-mcp');
    } finally {
      await kubectl(required('KUBECONFIG'), '-n', 'ops', 'delete', 'pod', name, '--ignore-not-found', '--grace-period=0');
    }
  });

  test('an existing name is a clear error', async () => {
    const r = await s.call('pods_run', { namespace: 'ops', name: 'toolbox', image: 'busybox:1.37' });
    assert.equal(r.isError, true);
    assert.match(r.text, /cannot create the pod: AlreadyExists \(409\)/);
  });
});

describe('kube-http: pods_proxy_get and services_proxy_get', () => {
  let s;
  let web;
  const port = Number(required('REACH_PORT'));
  const seen = [];
  before(async () => {
    // What ops/web-probe "serves": this test's own server, at the address
    // the environment gave the pod (and so its Service's endpoint).
    web = http.createServer((req, res) => {
      seen.push(req.url);
      if (req.url.startsWith('/healthz')) { res.setHeader('content-type', 'text/plain'); res.end(`ok ${req.url}`); return; }
      if (req.url === '/big') { res.end('x'.repeat(300_000)); return; }
      if (req.url === '/slow') { setTimeout(() => res.end('late'), 5_000); return; }
      res.statusCode = 404; res.end('no such page');
    });
    await new Promise((resolve) => web.listen(port, '0.0.0.0', resolve));
    s = await serve(['kube-http'], httpGrant());
  });
  after(async () => {
    await s?.client.close();
    await s?.server.stop();
    web?.closeAllConnections();
    await new Promise((resolve) => web ? web.close(resolve) : resolve());
  });
  const pod = (more) => s.call('pods_proxy_get', { namespace: 'ops', name: 'web-probe', port: String(port), ...more });

  test('a pod\'s endpoint answers through the proxy, with status and content type', async () => {
    const r = await pod({ path: '/healthz', query: 'verbose=1' });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /^pod ops\/web-probe port 16452\/healthz answered HTTP 200 \(text\/plain\)\nok \/healthz\?verbose=1$/);
    assert.deepEqual(r.structured, { status: 200, contentType: 'text/plain', body: 'ok /healthz?verbose=1', truncated: false });
  });

  test('a service\'s named port reaches its ready endpoint', async () => {
    const r = await s.call('services_proxy_get', { namespace: 'ops', name: 'web-probe', port: 'http', path: '/healthz' });
    assert.equal(r.isError, false, r.text);
    assert.equal(r.structured.body, 'ok /healthz');
  });

  test('the endpoint\'s own error status is passed on as an error with its body', async () => {
    const r = await pod({ path: '/missing' });
    assert.equal(r.isError, true);
    assert.equal(r.structured.status, 404);
    assert.match(r.text, /answered HTTP 404 \(text\/plain; charset=utf-8\)\nno such page$/);
  });

  test('a body over the limit is cut and says so', async () => {
    const r = await pod({ path: '/big', limitBytes: 2000 });
    assert.equal(r.structured.truncated, true);
    assert.equal(r.structured.body.length, 2000);
    assert.match(r.text, /the body is cut at 2000 bytes/);
  });

  test('a slow endpoint times out clearly', async () => {
    const r = await pod({ path: '/slow', timeoutSeconds: 1 });
    assert.equal(r.isError, true);
    assert.match(r.text, /Timeout \(504\): the proxied endpoint did not answer within 1s/);
  });

  test('paths that would leave the target are refused before anything is sent', async () => {
    const count = seen.length;
    for (const [p, says] of [['/../../api/v1/secrets', /\. or \.\. segments/], ['/a%2f..%2fb', /could leave the target/], ['/x?y=1', /query or fragment/], ['healthz', /must start with \//]]) {
      const r = await pod({ path: p });
      assert.equal(r.isError, true, p);
      assert.match(r.text, says, p);
    }
    const badPort = await pod({ port: '99999' });
    assert.match(badPort.text, /port '99999' is not a port/);
    assert.equal(seen.length, count, 'the endpoint never heard of them');
  });

  test('without the services/proxy grant: denied, naming it', async () => {
    const narrow = await serve(['kube-http'], httpGrant(false));
    try {
      const r = await narrow.call('services_proxy_get', { namespace: 'ops', name: 'web-probe', port: 'http' });
      assert.equal(r.isError, true);
      assert.match(r.text, /denied by grant: get on services\/proxy in namespace ops/);
    } finally {
      await narrow.client.close();
      await narrow.server.stop();
    }
  });
});

describe('kube-nodes: the kubelet behind the node proxy', () => {
  let s;
  before(async () => { s = await serve(['kube-nodes'], nodesGrant); });
  after(async () => { await s?.client.close(); await s?.server.stop(); });

  test('kwok\'s kubelets listen on loopback, which the API server never proxies to: a clear error', async () => {
    const summary = await s.call('nodes_stats_summary', { name: 'kwok-node-0' });
    assert.equal(summary.isError, true);
    assert.match(summary.text, /^the kubelet of node kwok-node-0 \(\/stats\/summary\): .*address not allowed/);
    const log = await s.call('nodes_log', { name: 'kwok-node-0', query: 'kubelet', tailLines: 10 });
    assert.equal(log.isError, true);
    assert.match(log.text, /^the kubelet of node kwok-node-0 \(\/logs\/\): .*address not allowed/);
  });

  test('a missing node and a bad query are clear errors', async () => {
    const missing = await s.call('nodes_stats_summary', { name: 'no-such-node' });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /NotFound \(404\).*no-such-node/);
    const bad = await s.call('nodes_log', { name: 'kwok-node-0', query: '/../etc/shadow' });
    assert.equal(bad.isError, true);
    assert.match(bad.text, /neither a service name .* nor a file under \/var\/log/);
  });

  test('without the nodes/proxy grant: denied, naming it', async () => {
    const narrow = await serve(['kube-nodes'], `
    kube-nodes:
      - {verbs: [get], apiGroups: [""], resources: [nodes], namespaces: ["*"]}`);
    try {
      const r = await narrow.call('nodes_stats_summary', { name: 'kwok-node-0' });
      assert.equal(r.isError, true);
      assert.match(r.text, /denied by grant: get on nodes\/proxy/);
    } finally {
      await narrow.client.close();
      await narrow.server.stop();
    }
  });
});
