// Tool policy covers every kind of plugin export: prompts, resources,
// resource templates, completions and subscriptions, by plugin and by name,
// when listing and when using them.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { required } from './lib/env.mjs';
import * as jwt from './lib/jwt.mjs';
import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const issuer = () => required('OIDC_ISSUER_URL');
const secret = () => fs.readFileSync(required('OIDC_HS256_SECRET_FILE'), 'utf8').trim();

describe('policy over prompts and resources', () => {
  let server;
  before(async () => {
    const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-')), 'config.yaml');
    fs.writeFileSync(config, `
oidc:
  issuerUrl: ${issuer()}
  signingMethod: [RS256, HS256]
  hs256SecretFile: ${required('OIDC_HS256_SECRET_FILE')}
tools:
  rules:
    - deny: ["plugin:conformance"]
      when: {groups: [outsiders]}
    - deny: ["prompt:test_simple_prompt", "resource:test://static-*", "resource:test://template/*"]
      when: {groups: [viewers]}
`);
    server = await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--config', config] });
    await server.waitForLog((e) => e.message === "fetched the issuer's signing keys");
  });
  after(async () => server?.stop());

  const as = async (groups) => {
    const token = jwt.hs256(jwt.claims(issuer(), server.url, { sub: `user-${groups.join('-')}`, groups }), secret());
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  };

  test('a denied prompt or resource is neither listed nor usable; the rest is', async () => {
    const viewer = await as(['viewers']);
    const other = await as(['staff']);
    try {
      const prompts = (await viewer.listPrompts()).prompts.map((p) => p.name);
      assert.ok(!prompts.includes('test_simple_prompt'), prompts.join(','));
      assert.ok((await other.listPrompts()).prompts.some((p) => p.name === 'test_simple_prompt'));
      await assert.rejects(viewer.getPrompt({ name: 'test_simple_prompt' }), /unknown prompt/);
      assert.ok((await other.getPrompt({ name: 'test_simple_prompt' })).messages.length > 0);

      const uris = (await viewer.listResources()).resources.map((r) => r.uri);
      assert.ok(!uris.includes('test://static-text') && uris.includes('test://watched-resource'), uris.join(','));
      await assert.rejects(viewer.readResource({ uri: 'test://static-text' }), /no resource/);
      assert.ok((await other.readResource({ uri: 'test://static-text' })).contents.length > 0);
      await assert.rejects(viewer.subscribeResource({ uri: 'test://static-text' }), /no resource/);

      const templates = (await viewer.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
      assert.deepEqual(templates, []);
      await assert.rejects(viewer.complete({ ref: { type: 'ref/resource', uri: 'test://template/{id}/data' }, argument: { name: 'id', value: '1' } }),
        /no prompt or resource template/);
      await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.message === 'resource read' && e.decision === 'deny');
    } finally {
      await viewer.close();
      await other.close();
    }
  });

  test('plugin: denies every export of a plugin', async () => {
    const outsider = await as(['outsiders']);
    try {
      assert.deepEqual((await outsider.listTools()).tools, []);
      assert.deepEqual((await outsider.listPrompts()).prompts, []);
      assert.deepEqual((await outsider.listResources()).resources, []);
      await assert.rejects(outsider.readResource({ uri: 'test://watched-resource' }), /no resource/);
    } finally {
      await outsider.close();
    }
  });
});
