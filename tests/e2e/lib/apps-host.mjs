// A minimal MCP Apps host, as a web client builds one (specification
// 2026-01-26): a host page on one origin runs the host side of
// @modelcontextprotocol/ext-apps (AppBridge), and renders a view through a
// sandbox proxy on another origin, which loads the view's HTML in an inner
// sandboxed iframe under the CSP built from the view's `_meta.ui.csp`.
// Tool calls the view makes go through the bridge to this process, which
// makes them on the real server with the official TypeScript SDK client.
// Chromium is Debian's, driven with playwright-core.

import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The Chromium the tests drive: Debian's package (scripts/test-tools installs it). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a closed network: no background fetches, no sandbox as root. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

/** The host page's script: AppBridge and its transport, bundled for the browser. */
async function hostBundle() {
  const built = await esbuild.build({
    stdin: {
      contents: `
        import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
        // The host's side of one view: its bridge, and the tool calls it relays.
        window.startView = async ({ sandboxUrl, html, csp, permissions, tool, tools, input, result, theme }) => {
          const frame = document.createElement('iframe');
          frame.id = 'view';
          frame.title = 'MCP App';
          frame.src = sandboxUrl;
          frame.style.cssText = 'width: 100%; height: 640px; border: 0';
          // The host's own page follows its theme, as a chat client's would.
          document.body.style.background = theme === 'dark' ? '#15171a' : '#ffffff';
          document.body.append(frame);
          const bridge = new AppBridge(null, { name: 'kube-mcp e2e host', version: '1.0.0' },
            { serverTools: {}, logging: {} },
            { hostContext: { theme, toolInfo: { tool }, displayMode: 'inline', platform: 'web', locale: 'en-US' } });
          // Apps may call only tools visible to apps (the specification's rule
          // for hosts); everything else goes to the server as the user.
          bridge.oncalltool = async (params) => {
            const target = tools.find((t) => t.name === params.name);
            const visibility = target?._meta?.ui?.visibility ?? ['model', 'app'];
            window.appCalls.push(params.name);
            // A tool the list does not show goes to the server, whose policy decides.
            if (target && !visibility.includes('app')) throw new Error('tool ' + params.name + ' is not visible to apps');
            return await window.kubeMcpCallTool(params);
          };
          bridge.onsandboxready = () => bridge.sendSandboxResourceReady({ html, csp, permissions });
          bridge.oninitialized = () => {
            bridge.sendToolInput({ arguments: input });
            bridge.sendToolResult(result);
            window.viewReady = true;
          };
          window.bridge = bridge;
          await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
        };
        window.appCalls = [];
      `,
      resolveDir: path.join(here, '..'),
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return built.outputFiles[0].text;
}

/** The sandbox proxy: the CSP a host must build from `_meta.ui.csp`. */
const SANDBOX = `<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">
<script>
"use strict";
let inner;
const list = (l) => (l || []).join(" ");
function policy(c) {
  c = c || {};
  return ["default-src 'none'",
    "script-src 'self' 'unsafe-inline' " + list(c.resourceDomains),
    "style-src 'self' 'unsafe-inline' " + list(c.resourceDomains),
    "connect-src 'self' " + list(c.connectDomains),
    "img-src 'self' data: " + list(c.resourceDomains),
    "font-src 'self' " + list(c.resourceDomains),
    "media-src 'self' data: " + list(c.resourceDomains),
    "frame-src " + (list(c.frameDomains) || "'none'"),
    "object-src 'none'",
    "base-uri " + (list(c.baseUriDomains) || "'self'")].join("; ");
}
window.addEventListener("message", (event) => {
  const m = event.data;
  if (event.source === window.parent) {
    if (m && m.method === "ui/notifications/sandbox-resource-ready") {
      const p = m.params;
      inner = document.createElement("iframe");
      inner.setAttribute("sandbox", p.sandbox || "allow-scripts");
      inner.style.cssText = "width: 100%; height: 640px; border: 0";
      const meta = '<meta http-equiv="Content-Security-Policy" content="' + policy(p.csp).replace(/"/g, "&quot;") + '">';
      inner.srcdoc = /<head[^>]*>/i.test(p.html) ? p.html.replace(/<head[^>]*>/i, (h) => h + meta) : meta + p.html;
      document.body.append(inner);
    } else if (inner) {
      inner.contentWindow.postMessage(m, "*");
    }
  } else if (inner && event.source === inner.contentWindow) {
    window.parent.postMessage(m, "*");
  }
});
window.parent.postMessage({ jsonrpc: "2.0", method: "ui/notifications/sandbox-proxy-ready", params: {} }, "*");
</script></body></html>`;

/** An HTTP server on 127.0.0.1 answering every GET with `body`. */
function serve(body, hostName) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://${hostName}:${server.address().port}/` });
  }));
}

/**
 * Starts Chromium with a host page and a sandbox proxy on two origins
 * (`localhost` and `127.0.0.1`). `client` is a connected MCP client that
 * declared the extension; it makes the view's tool calls.
 */
export async function startAppsHost(client) {
  const bundle = await hostBundle();
  const host = await serve(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>kube-mcp Apps host</title></head>
<body style="margin:0"><script>${bundle}</script></body></html>`, 'localhost');
  const sandbox = await serve(SANDBOX, '127.0.0.1');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  return {
    browser,
    /** Renders the view of `tool`'s answer to `input`, in `theme`; resolves to the page and the view's frame. */
    async render({ tools, tool, view, input, result, theme = 'light', viewport = { width: 1100, height: 700 } }) {
      const page = await browser.newPage({ viewport, colorScheme: theme });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.exposeFunction('kubeMcpCallTool', async (params) => {
        const answer = await client.callTool(params);
        return JSON.parse(JSON.stringify(answer));
      });
      await page.goto(host.url);
      const content = view.contents[0];
      await page.evaluate((args) => window.startView(args), {
        sandboxUrl: sandbox.url,
        html: content.text,
        csp: content._meta?.ui?.csp,
        permissions: content._meta?.ui?.permissions,
        tool: tools.find((t) => t.name === tool),
        tools,
        input,
        result,
        theme,
      });
      await page.waitForFunction(() => window.viewReady === true, null, { timeout: 15_000 });
      const frame = await innerFrame(page);
      return { page, frame, errors };
    },
    async close() {
      await browser.close();
      host.server.close();
      sandbox.server.close();
    },
  };
}

/** The view's own frame: the sandbox proxy's inner iframe. */
async function innerFrame(page) {
  for (let i = 0; i < 100; i++) {
    const proxy = page.frames().find((f) => f.parentFrame() === page.mainFrame());
    const inner = proxy && page.frames().find((f) => f.parentFrame() === proxy);
    if (inner) return inner;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the view never loaded inside the sandbox proxy');
}
