// What a grant means, against the real control plane: a grant without
// namespaces covers cluster-scoped resources only, never a namespaced one
// across every namespace (discovery decides which is which).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { required } from './lib/env.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

describe('a grant with no namespaces', () => {
  let server;
  let client;
  before(async () => {
    server = await startServer({
      plugins: pluginsDir(builtPlugin('kube-core')),
      args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', configFile(`
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [secrets, nodes, namespaces]}
`)],
    });
    client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  });
  after(async () => { await client?.close(); await server?.stop(); });

  const call = async (name, args) => {
    const result = await client.callTool({ name, arguments: { output: 'json', ...args } });
    return { isError: result.isError === true, text: result.content[0]?.text ?? '' };
  };

  test('lists cluster-scoped resources', async () => {
    const nodes = await call('list_nodes', {});
    assert.equal(nodes.isError, false, nodes.text);
    assert.ok(JSON.parse(nodes.text).items.length > 0);
    const namespaces = await call('list_namespaces', {});
    assert.equal(namespaces.isError, false, namespaces.text);
  });

  test('does not list a namespaced resource across every namespace', async () => {
    const secrets = await call('list_secrets', {});
    assert.equal(secrets.isError, true, 'list_secrets without a namespace reached /api/v1/secrets');
    assert.match(secrets.text, /operator did not grant .*spans every namespace: the grant needs namespaces: \["\*"\]/);
    const inDemo = await call('list_secrets', { namespace: 'demo' });
    assert.equal(inDemo.isError, true);
  });
});
