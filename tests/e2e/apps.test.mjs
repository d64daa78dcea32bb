// MCP Apps (io.modelcontextprotocol/ui, 2026-01-26): plugins ship views,
// the host shows them (and app-only tools) to clients that declare the
// extension and to no one else, declares only the CSP origins the operator
// granted, and a view's calls are ordinary calls: policy, audit and all.
// The second half renders kube-core's resources view in Debian's Chromium
// inside a minimal Apps host built on @modelcontextprotocol/ext-apps'
// AppBridge, connected to the real server and control plane.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { startAppsHost } from './lib/apps-host.mjs';
import { required } from './lib/env.mjs';
import { configFile } from './lib/granted.mjs';
import * as jwt from './lib/jwt.mjs';
import * as stateless from './lib/stateless.mjs';
import { builtPlugin, pluginsDir, repo, startServer } from './lib/server.mjs';

const UI = 'io.modelcontextprotocol/ui';
const MIME = 'text/html;profile=mcp-app';
const VIEW = 'ui://kube-core/resources';
const artifacts = process.env.KUBE_MCP_TEST_ARTIFACTS ?? path.join(repo, 'target/test-artifacts/apps');

const issuer = () => required('OIDC_ISSUER_URL');
const secret = () => fs.readFileSync(required('OIDC_HS256_SECRET_FILE'), 'utf8').trim();

const config = () => `
oidc:
  issuerUrl: ${issuer()}
  signingMethod: [RS256, HS256]
  hs256SecretFile: ${required('OIDC_HS256_SECRET_FILE')}
kubernetes:
  kubeconfig: ${required('KUBECONFIG')}
plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [pods, pods/log, events, namespaces, nodes, services, configmaps], namespaces: ["*"]}
      - {verbs: [get, list], apiGroups: [apps], resources: ["*"], namespaces: ["*"]}
  overrides:
    hostile-view:
      apps:
        domains: ["https://cdn.exfil.example"]
tools:
  rules:
    - deny: ["tool:pods_log"]
      when: {groups: [viewers]}
`;

/** A client of `who` (groups) that declares the extension, or not. */
async function connect(server, { groups = ['staff'], sub = 'alice', apps = true } = {}) {
  const token = jwt.hs256(jwt.claims(issuer(), server.url, { sub, groups }), secret());
  const capabilities = apps ? { extensions: { [UI]: { mimeTypes: [MIME] } } } : {};
  const client = new Client({ name: 'e2e-apps', version: '1' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  }));
  return client;
}

async function allTools(client) {
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

let server;
let plugins;
before(async () => {
  plugins = pluginsDir(builtPlugin('kube-core'), builtPlugin('hostile-view', 'test-plugins'));
  server = await startServer({
    plugins,
    args: ['--config', configFile(config())],
  });
  await server.waitForLog((e) => e.message === "fetched the issuer's signing keys");
});
after(async () => server?.stop());

describe('MCP Apps over the protocol', () => {
  test('a client without the extension sees the tools, resources and results it saw before', async () => {
    const plain = await connect(server, { apps: false });
    const apps = await connect(server);
    try {
      const tools = await allTools(plain);
      assert.ok(tools.some((t) => t.name === 'list_pods'));
      assert.ok(tools.every((t) => t._meta?.ui === undefined), 'no _meta.ui without the extension');
      const names = tools.map((t) => t.name);
      for (const appOnly of ['resources_view_kinds', 'hostile_view_ping']) {
        assert.ok(!names.includes(appOnly), `${appOnly} is app-only`);
        await assert.rejects(plain.callTool({ name: appOnly, arguments: {} }), new RegExp(`unknown tool '${appOnly}'`));
      }
      // The same tools as a client with the extension, less the app-only ones.
      const withApps = (await allTools(apps)).filter((t) => t._meta.ui.visibility.includes('model')).map((t) => t.name);
      assert.deepEqual(names.sort(), withApps.sort());
      const resources = (await plain.listResources()).resources.map((r) => r.uri);
      assert.ok(!resources.some((u) => u.startsWith('ui://')), resources.join(','));
      await assert.rejects(plain.readResource({ uri: VIEW }), /no resource 'ui:\/\/kube-core\/resources'/);
      // Results are the same text and structured rows.
      const args = { name: 'list_pods', arguments: { namespace: 'demo', labelSelector: 'app=web' } };
      const [a, b] = [await plain.callTool(args), await apps.callTool(args)];
      assert.deepEqual(a.structuredContent.rows.map((r) => r.Name).sort(), b.structuredContent.rows.map((r) => r.Name).sort());
      assert.match(a.content[0].text, /^NAME +READY +STATUS/m);
      assert.equal(a._meta, undefined);
    } finally {
      await plain.close();
      await apps.close();
    }
  });

  test('a client with the extension gets views, their links, visibility and the declared CSP', async () => {
    const client = await connect(server);
    try {
      assert.deepEqual(client.getServerCapabilities().extensions?.[UI], { mimeTypes: [MIME] });
      const tools = await allTools(client);
      const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
      assert.deepEqual(byName.list_pods._meta.ui, { resourceUri: VIEW, visibility: ['model', 'app'] });
      assert.deepEqual(byName.resources_list._meta.ui, { resourceUri: VIEW, visibility: ['model', 'app'] });
      assert.deepEqual(byName.resources_describe._meta.ui, { visibility: ['model', 'app'] });
      assert.deepEqual(byName.resources_view_kinds._meta.ui, { visibility: ['app'] });
      // Tools no plugin opened to views are the model's only, said explicitly.
      assert.deepEqual(byName.get_pod._meta.ui, { visibility: ['model'] });

      const listed = (await client.listResources()).resources.find((r) => r.uri === VIEW);
      assert.equal(listed.mimeType, MIME);
      const read = await client.readResource({ uri: VIEW });
      const view = read.contents[0];
      assert.equal(view.mimeType, MIME);
      assert.match(view.text, /^<!doctype html>/);
      assert.ok(view.text.length < 32 * 1024, `${view.text.length} bytes`);
      assert.deepEqual(view._meta.ui.csp, { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] });

      // The app-only tool answers a client with the extension.
      const kinds = await client.callTool({ name: 'resources_view_kinds', arguments: {} });
      assert.ok(kinds.structuredContent.kinds.some((k) => k.listTool === 'list_pods' && k.kind === 'Pod'));
    } finally {
      await client.close();
    }
  });

  test('only the origins the operator granted reach the CSP clients are told', async () => {
    const client = await connect(server);
    try {
      const read = await client.readResource({ uri: 'ui://hostile-view/steal' });
      // Asked for: connect https://exfil.example (not granted), resources
      // https://cdn.exfil.example (granted).
      assert.deepEqual(read.contents[0]._meta.ui.csp, {
        connectDomains: [], resourceDomains: ['https://cdn.exfil.example'], frameDomains: [], baseUriDomains: [],
      });
      const warned = server.log.find((e) => e.plugin === 'hostile-view' && /connect-domains https:\/\/exfil\.example/.test(e.message));
      assert.ok(warned, 'the ungranted origin is named in a warning');
    } finally {
      await client.close();
    }
  });

  test('a view\'s call is a call: policy refuses it and the audit names the caller', async () => {
    const viewer = await connect(server, { groups: ['viewers'], sub: 'bob' });
    try {
      await assert.rejects(viewer.callTool({ name: 'pods_log', arguments: { namespace: 'demo', name: 'x' } }), /unknown tool 'pods_log'/);
      const audit = await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.tool === 'pods_log' && e.decision === 'deny');
      assert.match(JSON.stringify(audit), /bob/);
      // App-only tools are audited like the rest.
      await viewer.callTool({ name: 'resources_view_kinds', arguments: {} });
      await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.tool === 'resources_view_kinds' && /bob/.test(JSON.stringify(e)));
    } finally {
      await viewer.close();
    }
  });

  test('a plugin whose only resources are views, removed and added: clients hear resources/list_changed', async () => {
    const client = await connect(server);
    let heard = 0;
    client.setNotificationHandler('notifications/resources/list_changed', () => { heard += 1; });
    const hear = async (n) => {
      for (let waited = 0; heard < n; waited += 100) {
        if (waited > 15_000) throw new Error(`no resources/list_changed within 15 s (heard ${heard})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const uris = async () => (await client.listResources()).resources.map((r) => r.uri);
    const target = path.join(plugins, 'hostile-view.wasm');
    try {
      // Give the session's notification stream a moment to open.
      await new Promise((r) => setTimeout(r, 500));
      fs.rmSync(target);
      await hear(1);
      assert.ok(!(await uris()).includes('ui://hostile-view/steal'));
      fs.copyFileSync(builtPlugin('hostile-view', 'test-plugins'), `${target}.new`);
      fs.renameSync(`${target}.new`, target);
      await hear(2);
      assert.ok((await uris()).includes('ui://hostile-view/steal'));
    } finally {
      if (!fs.existsSync(target)) fs.copyFileSync(builtPlugin('hostile-view', 'test-plugins'), target);
      await client.close();
    }
  });

  test('a stateless (2026-07-28) client declares the extension per request', async () => {
    const token = jwt.hs256(jwt.claims(issuer(), server.url, { sub: 'carol', groups: ['staff'] }), secret());
    const headers = { authorization: `Bearer ${token}` };
    const list = async (capabilities) => {
      const tools = [];
      let cursor;
      do {
        const { body } = await stateless.post(server.url, 'tools/list', cursor ? { cursor } : {}, { capabilities, headers });
        tools.push(...body.result.tools);
        cursor = body.result.nextCursor;
      } while (cursor);
      return tools;
    };
    const withApps = await list({ extensions: { [UI]: { mimeTypes: [MIME] } } });
    assert.deepEqual(withApps.find((t) => t.name === 'resources_view_kinds')?._meta?.ui, { visibility: ['app'] });
    const without = await list({});
    assert.ok(!without.some((t) => t.name === 'resources_view_kinds'));
    assert.ok(without.every((t) => t._meta?.ui === undefined));
    // An extension with only other MIME types is not this one.
    const other = await list({ extensions: { [UI]: { mimeTypes: ['text/uri-list'] } } });
    assert.ok(!other.some((t) => t.name === 'resources_view_kinds'));
    const read = await stateless.post(server.url, 'resources/read', { uri: VIEW }, { capabilities: { extensions: { [UI]: {} } }, headers });
    assert.equal(read.body.result.contents[0].mimeType, MIME);
    const refused = await stateless.post(server.url, 'resources/read', { uri: VIEW }, { capabilities: {}, headers });
    assert.match(refused.body.error.message, /no resource 'ui:\/\/kube-core\/resources'/);
  });

  test('the Inspector CLI finds the app on the linked tools', async () => {
    const token = jwt.hs256(jwt.claims(issuer(), server.url, { sub: 'alice', groups: ['staff'] }), secret());
    const cli = path.join(repo, 'tests/e2e/node_modules/@modelcontextprotocol/inspector/clients/cli/build/index.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, '--cli', server.url, '--transport', 'http',
      '--header', `Authorization: Bearer ${token}`, '--method', 'tools/call', '--tool-name', 'list_pods',
      '--app-info', '--advertise-apps'], { timeout: 60_000 });
    const info = JSON.parse(stdout.trim().split('\n').pop());
    const found = info.appInfo ?? info;
    assert.equal(found.hasApp, true, stdout);
    assert.equal(found.resourceUri, VIEW);
    assert.equal(found.resourceMimeType, MIME);
    assert.deepEqual(found.visibility, ['model', 'app']);
  });
});

describe('kube-core\'s resources view in Chromium', () => {
  let host;
  let alice;
  let tools;
  let view;
  before(async () => {
    alice = await connect(server);
    tools = await allTools(alice);
    view = await alice.readResource({ uri: VIEW });
    host = await startAppsHost(alice);
    fs.mkdirSync(artifacts, { recursive: true });
  });
  after(async () => { await host?.close(); await alice?.close(); });

  const listPods = async (client, args) => ({ input: args, result: await client.callTool({ name: 'list_pods', arguments: args }) });

  /** The names in the view's table, top to bottom. */
  const shownNames = (frame) => frame.$$eval('#table tbody tr', (rows) => rows.map((r) => r.cells[0].textContent));

  test('shows the fixture pods; sorting and filtering change what is shown; light and dark', async () => {
    const { input, result } = await listPods(alice, { namespace: 'demo' });
    const expected = result.structuredContent.rows.map((r) => r.Name);
    assert.ok(expected.some((n) => n.startsWith('web-')), expected.join(','));
    for (const theme of ['light', 'dark']) {
      const { page, frame, errors } = await host.render({ tools, tool: 'list_pods', view, input, result, theme });
      await frame.waitForFunction((n) => document.querySelectorAll('#table tbody tr').length === n, expected.length);
      assert.deepEqual((await shownNames(frame)).sort(), [...expected].sort());
      assert.equal(await frame.evaluate(() => document.documentElement.dataset.theme), theme);

      await frame.click('th >> text=Name');
      assert.deepEqual(await shownNames(frame), [...expected].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
      assert.equal(await frame.getAttribute('th:first-child', 'aria-sort'), 'ascending');
      await frame.click('th >> text=Name');
      assert.deepEqual(await shownNames(frame), [...expected].sort((a, b) => b.localeCompare(a, undefined, { numeric: true })));

      await frame.fill('#filter', 'web-');
      const filtered = await shownNames(frame);
      assert.ok(filtered.length > 0 && filtered.length < expected.length, filtered.join(','));
      assert.ok(filtered.every((n) => n.startsWith('web-')));
      assert.match(await frame.textContent('#status'), new RegExp(`^${filtered.length} of ${expected.length} rows`));

      // The detail pane, from the keyboard: describe and events through the bridge.
      await frame.focus('#table tbody tr');
      await page.keyboard.press('Enter');
      await frame.waitForFunction(() => ['describe', 'events', 'log'].every((id) => !/Loading/.test(document.getElementById(id).textContent)));
      const describe = await frame.textContent('#describe');
      assert.match(describe, new RegExp(`${filtered[0]}`));
      assert.match(describe, /Status|Node|Containers/i);
      assert.notEqual(await frame.getAttribute('#events', 'class'), 'error', await frame.textContent('#events'));
      const calls = await page.evaluate(() => window.appCalls);
      for (const tool of ['resources_view_kinds', 'resources_describe', 'events_list']) assert.ok(calls.includes(tool), calls.join(','));
      // WCAG AA: every piece of text shown at least 4.5:1 against what is behind it.
      const contrasts = await frame.evaluate(() => {
        const rgb = (c) => c.match(/[\d.]+/g).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
          .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
        const behind = (el) => {
          for (let e = el; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length < 4 || c[3] > 0) return c;
          }
          return [255, 255, 255];
        };
        const ratio = (el) => {
          const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(behind(el))].sort((x, y) => y - x);
          return (a + 0.05) / (b + 0.05);
        };
        return [...document.querySelectorAll('h1, h2, #status, th button, td, pre, input, button')]
          .filter((el) => el.offsetParent !== null && el.textContent.trim() !== '' || el.tagName === 'INPUT')
          .map((el) => ({ what: el.id || el.tagName, ratio: ratio(el) }));
      });
      const low = contrasts.filter((c) => c.ratio < 4.5);
      assert.deepEqual(low, [], `${theme}: contrast below 4.5:1`);
      assert.ok(contrasts.length > 10, `${contrasts.length} text elements measured`);
      await page.screenshot({ path: path.join(artifacts, `resources-view-${theme}.png`) });
      assert.deepEqual(errors, []);
      await page.close();
    }
  });

  test('pages with the continue token, and refreshes', async () => {
    const { input, result } = await listPods(alice, { namespace: 'demo', limit: 1 });
    assert.ok(result.structuredContent.continue, 'a first page of one');
    const { page, frame } = await host.render({ tools, tool: 'list_pods', view, input, result });
    await frame.waitForSelector('#more:not([hidden])');
    assert.equal((await shownNames(frame)).length, 1);
    await frame.click('#more');
    await frame.waitForFunction(() => document.querySelectorAll('#table tbody tr').length === 2);
    const two = await shownNames(frame);
    assert.equal(new Set(two).size, 2, 'the second page continues the first');
    await frame.click('#refresh');
    await frame.waitForFunction(() => document.querySelectorAll('#table tbody tr').length === 1);
    await page.close();
  });

  test('a call policy denies shows the refusal in the view', async () => {
    const bob = await connect(server, { groups: ['viewers'], sub: 'bob' });
    try {
      const bobTools = await allTools(bob);
      assert.ok(!bobTools.some((t) => t.name === 'pods_log'), 'pods_log is denied to viewers');
      const { input, result } = await listPods(bob, { namespace: 'demo', labelSelector: 'app=web' });
      const bobHost = await startAppsHost(bob);
      try {
        const { page, frame } = await bobHost.render({ tools: bobTools, tool: 'list_pods', view, input, result });
        await frame.click('#table tbody tr');
        await frame.waitForSelector('#log.error');
        assert.match(await frame.textContent('#log'), /unknown tool 'pods_log'/);
        assert.doesNotMatch(await frame.textContent('#describe'), /unknown tool/);
        await server.waitForLog((e) => e.target === 'kube_mcp::audit' && e.tool === 'pods_log' && e.decision === 'deny');
        await page.close();
      } finally {
        await bobHost.close();
      }
    } finally {
      await bob.close();
    }
  });

  test('a hostile view reaches neither the network nor tools closed to apps', async () => {
    const hits = [];
    const sink = http.createServer((req, res) => { hits.push(req.url); res.end('ok'); });
    await new Promise((r) => sink.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${sink.address().port}/leak`;
    try {
      const hostileView = await alice.readResource({ uri: 'ui://hostile-view/steal' });
      const result = await alice.callTool({ name: 'hostile_view_steal', arguments: { url } });
      const { page, frame } = await host.render({ tools, tool: 'hostile_view_steal', view: hostileView, input: { url }, result });
      await frame.waitForFunction(() => /"done":true/.test(document.getElementById('out').textContent), null, { timeout: 20_000 });
      const seen = JSON.parse(await frame.textContent('#out'));
      assert.equal(seen.fetch, 'blocked');
      assert.equal(seen.image, 'blocked');
      assert.equal(seen.script, 'blocked');
      assert.equal(seen['app-only tool'], 'called', 'its own app-only tool is callable');
      assert.match(seen['model-only tool'], /refused: .*get_secret is not visible to apps/);
      assert.deepEqual(hits, [], 'nothing reached the sink');
      await page.close();
    } finally {
      sink.close();
    }
  });
});
