// The SDK's logic under Node, with the host's interfaces faked
// (test/fake-host): what a component would see is covered by the
// templates' end-to-end test (tests/e2e/plugin-sdks.test.mjs).

import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import {
  InvalidArguments,
  checkValue,
  definePlugin,
  kubeErrorMessage,
  kubernetes,
  log,
  pageResult,
  resourceType,
  text,
  tool,
} from '../src/index.ts';
import { ComponentError, answers, recorded, reset } from './fake-host/state.ts';

const caller = { subject: 'alice', username: 'alice', groups: [], scopes: [] };

beforeEach(reset);

interface PodsArgs { namespace: string; limit?: number }

const plugin = definePlugin({
  name: 'pods',
  version: '1.2.3',
  description: 'Lists pods.',
  capabilities: [{ verbs: ['list'], resources: ['pods'], namespaces: ['demo'] }],
  tools: [
    tool<PodsArgs>({
      name: 'list_pods',
      description: 'Lists pods.',
      input: {
        type: 'object',
        properties: { namespace: { type: 'string' }, limit: { type: 'integer', minimum: 1 } },
        required: ['namespace'],
        additionalProperties: false,
      },
      readOnly: true,
      run(args) {
        log.write('info', `listing ${args.namespace}`);
        return pageResult(kubernetes.listPage(resourceType('v1', 'pods'), { namespace: args.namespace, limit: args.limit }, { wide: false }));
      },
    }),
    tool({
      name: 'restart',
      description: 'Restarts.',
      input: { type: 'object' },
      destructive: true,
      taskSupport: 'optional',
      requires: ['elicitation'],
      run() {
        throw new InvalidArguments('nothing to restart');
      },
    }),
    tool({
      name: 'broken',
      description: 'Fails.',
      input: { type: 'object' },
      run() {
        throw new TypeError('undefined is not a function');
      },
    }),
    tool({ name: 'hello', description: 'Says hello.', input: { type: 'object' }, run: (_, c) => `hello ${c.subject}` }),
  ],
});

test('describe fills in defaults the bindings need', () => {
  assert.deepEqual(plugin.toolProvider.describe(), {
    name: 'pods',
    version: '1.2.3',
    description: 'Lists pods.',
    capabilities: [{ verbs: ['list'], apiGroups: [''], resources: ['pods'], namespaces: ['demo'] }],
  });
  const [listPods, restart] = plugin.toolProvider.tools();
  assert.equal(listPods.name, 'list_pods');
  assert.deepEqual(JSON.parse(listPods.inputSchema).required, ['namespace']);
  assert.deepEqual(listPods.annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true });
  assert.deepEqual(restart.annotations, { readOnlyHint: false, destructiveHint: true });
  assert.deepEqual(plugin.toolExecution.executions(), [{ tool: 'restart', taskSupport: 'optional', requires: ['elicitation'] }]);
});

test('views ship with the plugin and tools name theirs', () => {
  const withView = definePlugin({
    name: 'viewer',
    version: '1.0.0',
    description: 'Shows a view.',
    views: [{ uri: 'ui://viewer/list', name: 'list', html: '<!doctype html><p>hi', connectDomains: ['https://api.example.com'] }],
    tools: [
      tool({ name: 'list', description: 'Lists.', input: { type: 'object' }, view: 'ui://viewer/list', run: () => 'x' }),
      tool({ name: 'refresh', description: 'Refreshes.', input: { type: 'object' }, visibility: ['app'], run: () => 'y' }),
      tool({ name: 'plain', description: 'Plain.', input: { type: 'object' }, run: () => 'z' }),
    ],
  });
  const [view] = withView.appProvider.views();
  assert.equal(view.uri, 'ui://viewer/list');
  assert.deepEqual(view.csp, { connectDomains: ['https://api.example.com'], resourceDomains: [], frameDomains: [], baseUriDomains: [] });
  assert.deepEqual(withView.appProvider.toolViews(), [
    { tool: 'list', view: 'ui://viewer/list', visibility: { model: true, app: true } },
    { tool: 'refresh', view: undefined, visibility: { model: false, app: true } },
  ]);
  assert.deepEqual(plugin.appProvider.views(), [], 'no views by default');
  assert.throws(() => definePlugin({
    name: 'bad', version: '1.0.0', description: '',
    tools: [tool({ name: 'x', description: '', input: { type: 'object' }, view: 'ui://bad/missing', run: () => '' })],
  }), /tool 'x' shows view 'ui:\/\/bad\/missing', which is not one of the plugin's views/);
});

test('a call runs with checked arguments and returns the page', () => {
  answers.listPage = { text: 'NAME  READY\nweb   1/1', more: '2 more: continue with "t"', structured: '{"rows":[]}', items: 1 };
  const result = plugin.toolProvider.callTool('list_pods', '{"namespace":"demo","limit":1}', caller);
  assert.equal(result.isError, false);
  assert.deepEqual(result.content, [{ tag: 'text', val: { text: 'NAME  READY\nweb   1/1\n2 more: continue with "t"' } }]);
  assert.equal(result.structuredContent, '{"rows":[]}');
  assert.deepEqual(recorded.lists[0].type, { group: '', version: 'v1', resource: 'pods' });
  assert.deepEqual(recorded.logs, [{ level: 'info', message: 'listing demo' }]);
});

test('bad arguments are thrown as the invalid-arguments variant, naming the field', () => {
  const call = (args: string) => {
    try {
      plugin.toolProvider.callTool('list_pods', args, caller);
    } catch (e) {
      return e;
    }
    assert.fail('no error');
  };
  assert.deepEqual(call('{}'), { tag: 'invalid-arguments', val: 'namespace: missing (required)' });
  assert.deepEqual(call('{"namespace":5}'), { tag: 'invalid-arguments', val: 'namespace: expected a string, got number 5' });
  assert.deepEqual(call('{"namespace":"a","limit":0}'), { tag: 'invalid-arguments', val: 'limit: must be at least 1' });
  assert.deepEqual(call('{"namespace":"a","extra":1}'), { tag: 'invalid-arguments', val: 'extra: unknown field' });
  assert.equal((call('{nope') as { tag: string }).tag, 'invalid-arguments');
  // Not an Error instance: an Error would trap the component instance.
  assert.ok(!(call('{}') instanceof Error));
});

test('unknown tools and InvalidArguments from run become call errors', () => {
  assert.throws(() => plugin.toolProvider.callTool('nope', '{}', caller), (e: unknown) => {
    assert.deepEqual(e, { tag: 'unknown-tool', val: 'nope' });
    return true;
  });
  assert.throws(() => plugin.toolProvider.callTool('restart', '{}', caller), (e: unknown) => {
    assert.deepEqual(e, { tag: 'invalid-arguments', val: 'nothing to restart' });
    return true;
  });
});

test('a Kubernetes error is a tool error in the API\'s words', () => {
  answers.listPage = new ComponentError({
    tag: 'denied-by-grant',
    val: { verb: 'list', group: '', resource: 'pods', namespace: 'kube-system', reason: 'the operator granted namespaces demo' },
  });
  const result = plugin.toolProvider.callTool('list_pods', '{"namespace":"kube-system"}', caller);
  assert.equal(result.isError, true);
  assert.deepEqual(result.content, [{
    tag: 'text',
    val: { text: 'denied by grant: list on pods in namespace kube-system is not allowed for this plugin (the operator granted namespaces demo)' },
  }]);
  assert.equal(
    kubeErrorMessage(new ComponentError({ tag: 'not-found', val: { code: 404, reason: 'NotFound', message: 'pods "x" not found' } })),
    'NotFound (404): pods "x" not found',
  );
  assert.equal(kubeErrorMessage(new Error('plain')), undefined);
});

test('any other error is a tool error, logged with its stack', () => {
  const result = plugin.toolProvider.callTool('broken', '', caller);
  assert.deepEqual(result, { content: [{ tag: 'text', val: { text: 'broken failed: undefined is not a function' } }], isError: true });
  assert.equal(recorded.logs[0].level, 'error');
  assert.match(recorded.logs[0].message, /^tool 'broken' failed: TypeError: undefined is not a function\n\s+at /);
});

test('run may return text', () => {
  assert.deepEqual(plugin.toolProvider.callTool('hello', '{}', caller), text('hello alice'));
});

test('definePlugin refuses duplicate tools and non-object inputs', () => {
  const hello = tool({ name: 'a', description: '', input: { type: 'object' }, run: () => '' });
  assert.throws(() => definePlugin({ name: 'p', version: '1', description: '', tools: [hello, hello] }), /tool 'a' is declared twice/);
  assert.throws(
    () => definePlugin({ name: 'p', version: '1', description: '', tools: [tool({ name: 'b', description: '', input: { type: 'string' } as never, run: () => '' })] }),
    /tool 'b': input must be a schema with type 'object'/,
  );
});

test('checkValue covers nested objects, arrays and enums', () => {
  const schema = {
    type: 'object',
    properties: {
      output: { enum: ['table', 'yaml'] },
      labels: { type: 'array', items: { type: 'string' } },
      owner: { type: 'object', properties: { kind: { type: 'string' } }, required: ['kind'] },
    },
  };
  assert.equal(checkValue(schema, { output: 'json' }, ''), 'output: must be one of "table", "yaml"');
  assert.equal(checkValue(schema, { labels: ['a', 1] }, ''), 'labels[1]: expected a string, got number 1');
  assert.equal(checkValue(schema, { owner: {} }, ''), 'owner.kind: missing (required)');
  assert.equal(checkValue(schema, { output: 'yaml', labels: [], owner: { kind: 'Deployment' } }, ''), undefined);
});

test('resourceType splits an apiVersion', () => {
  assert.deepEqual(resourceType('apps/v1', 'deployments'), { group: 'apps', version: 'v1', resource: 'deployments' });
  assert.deepEqual(resourceType('v1', 'pods'), { group: '', version: 'v1', resource: 'pods' });
});
