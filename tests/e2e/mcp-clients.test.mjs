// Real MCP clients against kube-mcp: the official TypeScript SDK (session
// and stateless mode, list_changed on hot reload) and the MCP Inspector CLI
// (2025-11-25 and 2026-07-28).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  LoggingMessageNotificationSchema, ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

import { builtPlugin, pluginsDir, startServer } from './lib/server.mjs';

const run = promisify(execFile);

async function connect(url, capabilities = {}) {
  const client = new Client({ name: 'kube-mcp-e2e', version: '1.0.0' }, { capabilities });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

describe('TypeScript SDK client, session mode', () => {
  let server;
  after(() => server?.stop());

  test('lists tools, calls one, and hears tools/list_changed when a plugin is added', async () => {
    const plugins = pluginsDir(builtPlugin('conformance'));
    server = await startServer({ plugins, args: ['--no-auth'] });
    const { client, transport } = await connect(server.url);
    assert.ok(transport.sessionId, 'session mode gives the client a session id');

    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'test_simple_text'));
    assert.ok(!tools.some((t) => t.name === 'hello'));
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
    assert.deepEqual(result.content, [{ type: 'text', text: 'This is a simple text response for testing.' }]);

    const changed = new Promise((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, resolve));
    fs.copyFileSync(builtPlugin('greeter-v1', 'test-plugins'), path.join(plugins, 'greeter.wasm'));
    await Promise.race([
      changed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no tools/list_changed within 15 s')), 15_000)),
    ]);
    const after = await client.listTools();
    assert.ok(after.tools.some((t) => t.name === 'hello'), 'the new plugin\'s tool is listed');
    const greeting = await client.callTool({ name: 'hello', arguments: { name: 'e2e' } });
    assert.equal(greeting.isError, false);
    await client.close();
  });

  test('plugin log lines reach the client that asked for them', async () => {
    const { client } = await connect(server.url);
    const lines = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => lines.push(n.params));
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(lines.map((l) => l.data), [
      'Tool execution started', 'Tool processing data', 'Tool execution completed',
    ]);
    assert.ok(lines.every((l) => l.level === 'info' && l.logger === 'conformance'));
    await client.close();
  });
});

describe('TypeScript SDK client, stateless mode', () => {
  let server;
  after(() => server?.stop());

  test('lists tools and calls one without a session', async () => {
    server = await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--no-auth', '--stateless'] });
    const { client, transport } = await connect(server.url);
    assert.equal(transport.sessionId, undefined, 'stateless mode gives no session id');
    const { tools } = await client.listTools();
    assert.ok(tools.length >= 14, `got ${tools.length} tools`);
    const result = await client.callTool({ name: 'test_error_handling', arguments: {} });
    assert.equal(result.isError, true);
    assert.equal(result.content[0].text, 'This tool intentionally returns an error for testing');
    await client.close();
  });
});

describe('MCP Inspector CLI (mcpdo)', () => {
  let server;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-inspector-'));
  const mcpdo = path.join(import.meta.dirname, 'node_modules/.bin/mcpdo');
  const env = {
    ...process.env, HOME: home, MCP_INSPECTOR_SECRET_STORE: 'memory', NO_COLOR: '1',
    // Its own daemon, not one a developer may have running.
    MCP_INSPECTOR_DAEMON_DIR: path.join(home, 'daemon'),
  };
  const inspector = async (...args) => {
    const { stdout } = await run(process.execPath, [mcpdo, '--plain', '--format', 'json', ...args], { env, timeout: 60_000 });
    return stdout;
  };
  after(async () => {
    await inspector('daemon', 'stop').catch(() => {});
    await server?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  for (const era of ['legacy', 'modern']) {
    test(`lists and calls tools (${era} protocol era)`, async () => {
      server ??= await startServer({ plugins: pluginsDir(builtPlugin('conformance')), args: ['--no-auth'] });
      await inspector('connect', '--era', era, server.url);
      const shown = JSON.parse(await inspector('--connection', server.url, 'connections/show'));
      const version = JSON.stringify(shown).match(/"protocolVersion":\s*"([^"]+)"/)?.[1];
      assert.equal(version, era === 'modern' ? '2026-07-28' : '2025-11-25', JSON.stringify(shown));
      const { tools } = JSON.parse(await inspector('--connection', server.url, 'tools/list'));
      assert.ok(tools.some((t) => t.name === 'test_simple_text'));
      const result = JSON.parse(await inspector('--connection', server.url, 'tools/call', 'test_simple_text'));
      assert.equal(result.content[0].text, 'This is a simple text response for testing.');
      const resource = JSON.parse(await inspector('--connection', server.url, 'resources/read', 'test://static-text'));
      assert.equal(resource.contents[0].text, 'This is the content of the static text resource.');
      await inspector('disconnect', server.url);
    });
  }
});

describe('TypeScript SDK client over stdio (kube-mcp stdio)', () => {
  test('lists tools and calls one; the log stays off stdout', async () => {
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const { binary } = await import('./lib/server.mjs');
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-cache-'));
    const transport = new StdioClientTransport({
      command: binary,
      args: ['stdio', '--plugins-dir', pluginsDir(builtPlugin('conformance')), '--log-format', 'json'],
      env: { PATH: process.env.PATH, XDG_CACHE_HOME: cache },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'kube-mcp-e2e', version: '1.0.0' });
    await client.connect(transport);
    // Plugins load in the background; the list fills once they are in.
    let tools = [];
    for (let i = 0; i < 50 && !tools.some((t) => t.name === 'test_simple_text'); i++) {
      ({ tools } = await client.listTools());
      if (!tools.length) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(tools.some((t) => t.name === 'test_simple_text'), JSON.stringify(tools));
    const result = await client.callTool({ name: 'test_audio_content', arguments: {} });
    assert.equal(result.content[0].type, 'audio');
    assert.equal(result.content[0].mimeType, 'audio/wav');
    await client.close();
    fs.rmSync(cache, { recursive: true, force: true });
  });
});

describe('global tool lists (--disallowed-tools)', () => {
  test('a disallowed tool is neither listed nor callable', async () => {
    const server = await startServer({
      plugins: pluginsDir(builtPlugin('conformance')),
      args: ['--no-auth', '--disallowed-tools', 'test_error_handling,test_elicitation*'],
    });
    try {
      const { client } = await connect(server.url);
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('test_simple_text'));
      assert.ok(!names.includes('test_error_handling'));
      assert.ok(!names.some((n) => n.startsWith('test_elicitation')), names.join(','));
      await assert.rejects(client.callTool({ name: 'test_error_handling', arguments: {} }), /unknown tool/);
      await client.close();
    } finally {
      await server.stop();
    }
  });
});
