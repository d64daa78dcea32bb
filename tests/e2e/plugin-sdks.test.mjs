// A plugin in each of Rust, TypeScript and Python, the way an author makes
// one: `kube-mcp plugin new` writes the project outside this repository,
// its one build command builds it, `kube-mcp plugin validate` accepts it,
// and dropped into a running server's folder its tool (which lists pods
// through the `kubernetes` import, logs and reports progress) answers the
// TypeScript SDK client with the fixture pods. Outside its grant, the
// caller gets a clear error in each language.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { Client as AppsClient, StreamableHTTPClientTransport as AppsTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { kubectl, required } from './lib/env.mjs';
import { binary, startServer } from './lib/server.mjs';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');

/** Each language: its `--lang`, and its build command as the project's README gives it. */
const LANGUAGES = [
  { lang: 'rust', build: [['make']] },
  { lang: 'typescript', build: [['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error'], ['npm', 'run', 'build']] },
  { lang: 'python', build: [['./build.sh']] },
];
const pluginName = (lang) => `e2e-${lang}`;
const toolName = (lang) => `e2e_${lang}_pods`;

/** The selector of the fixture pods this test lists (others come and go). */
const SELECTOR = 'app in (web,api)';

const GRANTS = `
plugins:
  grants:
${LANGUAGES.map(({ lang }) => `    ${pluginName(lang)}:
      - {verbs: [list], apiGroups: [""], resources: [pods], namespaces: [demo]}`).join('\n')}
  overrides:
    e2e-typescript: {limits: {memory: 256MiB}}
    e2e-python: {limits: {memory: 256MiB}}
`;

describe('plugins written with the SDKs, from `plugin new` to a client', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-sdks-'));
  const config = path.join(work, 'config.yaml');
  const built = {};
  const figures = [];
  let server;
  let client;
  let pluginsDir;

  before(async () => {
    fs.writeFileSync(config, GRANTS);
    for (const { lang, build } of LANGUAGES) {
      const dir = path.join(work, lang);
      const made = await run(binary, ['plugin', 'new', pluginName(lang), '--lang', lang, '--dir', dir]);
      assert.match(made.stdout, new RegExp(`created ${dir}`));
      const started = Date.now();
      for (const [command, ...args] of build) {
        await run(command, args, {
          cwd: dir,
          maxBuffer: 64 << 20,
          env: {
            ...process.env,
            // Rust: dependencies compile once per machine, not per run.
            CARGO_TARGET_DIR: path.join(repo, 'target/sdk-e2e'),
          },
        }).catch((e) => {
          throw new Error(`${lang}: ${command} ${args.join(' ')} failed:\n${e.stdout}\n${e.stderr}`);
        });
      }
      const file = path.join(dir, `${pluginName(lang)}.wasm`);
      built[lang] = file;
      figures.push({ lang, buildSeconds: (Date.now() - started) / 1000, bytes: fs.statSync(file).size });
    }
    pluginsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-sdk-plugins-'));
    server = await startServer({
      plugins: pluginsDir,
      args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', config],
    });
  });

  after(async () => {
    await client?.close();
    await server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test('each project builds to a plugin that `plugin validate` accepts', async (t) => {
    for (const { lang } of LANGUAGES) {
      const { stdout, stderr } = await run(binary, ['plugin', 'validate', '--config', config, built[lang]]);
      assert.match(stdout, new RegExp(`valid plugin '${pluginName(lang)}' 0\\.1\\.0 with 1 tool\\(s\\)`));
      // Granted, and (JavaScript, Python) given the memory they need: no warning.
      assert.equal(stderr, '', `${lang}: ${stderr}`);
    }
    for (const f of figures) t.diagnostic(`${f.lang}: built in ${f.buildSeconds.toFixed(1)} s, ${(f.bytes / 2 ** 20).toFixed(1)} MiB`);
  });

  test('dropped into the folder, each tool lists the fixture pods for the TypeScript SDK client', async () => {
    for (const { lang } of LANGUAGES) fs.copyFileSync(built[lang], path.join(pluginsDir, path.basename(built[lang])));
    for (const { lang } of LANGUAGES) {
      await server.waitForLog((e) => e.message === 'loaded plugin' && e.plugin === pluginName(lang), 60_000);
    }
    client = new Client({ name: 'e2e-sdks', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const { tools } = await client.listTools();
    for (const { lang } of LANGUAGES) assert.ok(tools.some((t) => t.name === toolName(lang)), `${toolName(lang)} is listed`);

    const listed = await kubectl(required('KUBECONFIG'), 'get', 'pods', '-n', 'demo', '-l', SELECTOR, '-o', 'jsonpath={.items[*].metadata.name}');
    const expected = listed.stdout.split(' ').filter(Boolean).sort();
    assert.ok(expected.length >= 3, `fixture pods: ${listed.stdout} ${listed.stderr}`);

    const calls = new Set();
    for (const { lang } of LANGUAGES) {
      const progress = [];
      const result = await client.callTool(
        { name: toolName(lang), arguments: { namespace: 'demo', labelSelector: SELECTOR } },
        undefined,
        { onprogress: (p) => progress.push(p) },
      );
      assert.notEqual(result.isError, true, `${lang}: ${JSON.stringify(result)}`);
      const text = result.content[0].text;
      for (const pod of expected) assert.match(text, new RegExp(`^${pod}\\s`, 'm'), `${lang}: ${pod} in\n${text}`);
      const rows = result.structuredContent.rows.map((r) => r.Name).sort();
      assert.deepEqual(rows, expected, lang);
      assert.ok(progress.some((p) => p.message === 'listing pods'), `${lang}: progress ${JSON.stringify(progress)}`);
      const logged = await server.waitForLog((e) => e.plugin === pluginName(lang) && /lists pods in demo$/.test(e.message ?? ''));
      assert.equal(logged.level, 'INFO', lang);
      // Tagged with the call it belongs to, and the tool.
      assert.equal(logged.tool, toolName(lang), JSON.stringify(logged));
      assert.equal(typeof logged.call, 'number', JSON.stringify(logged));
      calls.add(logged.call);
    }
    assert.equal(calls.size, LANGUAGES.length, 'one call number per call');
  });

  test('the TypeScript scaffold ships a view, shown to clients with MCP Apps', async () => {
    const ui = 'io.modelcontextprotocol/ui';
    const apps = new AppsClient({ name: 'e2e-sdks-apps', version: '1' },
      { capabilities: { extensions: { [ui]: { mimeTypes: ['text/html;profile=mcp-app'] } } } });
    await apps.connect(new AppsTransport(new URL(server.url)));
    try {
      const name = pluginName('typescript');
      const linked = (await apps.listTools()).tools.find((t) => t.name === toolName('typescript'));
      assert.deepEqual(linked._meta.ui, { resourceUri: `ui://${name}/pods`, visibility: ['model', 'app'] });
      const view = (await apps.readResource({ uri: `ui://${name}/pods` })).contents[0];
      assert.equal(view.mimeType, 'text/html;profile=mcp-app');
      assert.match(view.text, /ui\/initialize/);
      // The same tool, without a view, for a client without the extension.
      const plain = (await client.listTools()).tools.find((t) => t.name === toolName('typescript'));
      assert.equal(plain._meta, undefined);
    } finally {
      await apps.close();
    }
  });

  test('outside its grant, each language reports the refusal to the caller', async () => {
    for (const { lang } of LANGUAGES) {
      const result = await client.callTool({ name: toolName(lang), arguments: { namespace: 'kube-system' } });
      assert.equal(result.isError, true, `${lang}: ${JSON.stringify(result)}`);
      assert.match(
        result.content[0].text,
        /^denied by grant: list on pods in namespace kube-system is not allowed for this plugin \(.+\)$/,
        lang,
      );
    }
  });

  test('bad arguments are named in each language', async () => {
    for (const { lang } of LANGUAGES) {
      const result = await client.callTool({ name: toolName(lang), arguments: { namespace: 7 } });
      assert.equal(result.isError, true, lang);
      assert.match(result.content[0].text, /^invalid arguments: namespace: .*(string|str)/, `${lang}: ${result.content[0].text}`);
    }
  });
});
