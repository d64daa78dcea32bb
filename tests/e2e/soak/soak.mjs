#!/usr/bin/env node
// The soak: kube-mcp on loopback under a realistic mix of many callers
// while faults are injected, then a graceful drain; a report of what
// happened (tests/e2e/soak/report.mjs writes it).
//
//   node tests/e2e/soak/soak.mjs --duration 10m --clients 64 --out target/soak
//
// Needs the environment (`eval "$(tests/env/up)"`) and `make build`. `make
// soak` runs it; tests/e2e/soak.test.mjs runs a short form inside `make test`.
// Bounded in time: it stops by itself after `duration`, the settling (at
// most `settle`) and the drain.

import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

import { kubectl, required } from '../lib/env.mjs';
import { decodeJwt, passwordToken, userToken } from '../lib/oidc.mjs';
import { binary, builtPlugin } from '../lib/server.mjs';
import { spanKind, startCollector, startSink } from '../lib/otel.mjs';
import { post } from '../lib/stateless.mjs';
import { SessionCaller, StatelessCaller } from './callers.mjs';
import { BULK, nextOp, run, weightsFor } from './mix.mjs';
import { writeReport } from './report.mjs';

const execFileAsync = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../../..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (line) => process.stderr.write(`${line}\n`);

/** `10m`, `90s`, `1500ms` or seconds. */
export function parseDuration(text) {
  const m = String(text).match(/^(\d+(?:\.\d+)?)(ms|s|m)?$/);
  if (!m) throw new Error(`not a duration: ${text} (e.g. 10m, 90s)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] ?? 's'];
}

export const DEFAULTS = {
  duration: 10 * 60_000,
  clients: 64,
  faultEvery: 5_000,
  sampleEvery: 10_000,
  bucket: 60_000,
  idpDown: 20_000,
  apiserverDown: 15_000,
  slowClients: 4,
  settle: 110_000,
  traces: false,
};

/** Runs `kube-mcp plugin ARGS`; resolves to stdout, throws with stderr. */
async function pluginCli(cwd, ...args) {
  const { stdout } = await execFileAsync(binary, ['plugin', ...args], { cwd });
  return stdout.trim();
}

/** The same component with one more custom section: a new build, a new digest. */
function rebuilt(file, label, dir) {
  const name = Buffer.from('kube-mcp-soak');
  const payload = Buffer.from(label);
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  const out = path.join(dir, `${path.basename(file, '.wasm')}-${label}.wasm`);
  fs.writeFileSync(out, Buffer.concat([fs.readFileSync(file), Buffer.from([0, body.length]), body]));
  return out;
}

const toolNames = (file) => JSON.parse(fs.readFileSync(file + '.json', 'utf8')).tools.map((t) => t.name);

/** Starts kube-mcp; resolves once it listens, its plugins and sources serve. */
async function startServer({ pluginsDir, config, work }) {
  const child = spawn(binary, ['serve', '--port', '0', '--log-format', 'json', '--plugins-dir', pluginsDir, '--config', config,
    '--shutdown-delay', '2s', '--shutdown-timeout', '30s'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: path.join(work, 'cache'), SSL_CERT_FILE: process.env.SSL_CERT_FILE ?? '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const server = { child, pid: child.pid, warnings: [], errors: [], grouped: new Map(), lines: 0 };
  let buffered = '';
  const waiting = [];
  child.stderr.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      server.lines += 1;
      server.tail = [...(server.tail ?? []).slice(-29), line];
      let e;
      try { e = JSON.parse(line); } catch { e = { level: 'INFO', message: line }; }
      if (e.level === 'WARN' || e.level === 'ERROR') {
        const key = `${e.level} ${e.target ?? ''}: ${String(e.message).replace(/\/tmp\/\S+/g, '…').slice(0, 160)}`;
        server.grouped.set(key, (server.grouped.get(key) ?? 0) + 1);
        (e.level === 'WARN' ? server.warnings : server.errors).push(1);
      }
      for (const w of [...waiting]) if (w.match(e)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(e); }
    }
  });
  server.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  server.waitFor = (match, ms = 60_000) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kube-mcp: an expected log line did not come; its log ends:\n${(server.tail ?? []).join('\n')}`)), ms);
    waiting.push({ match, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    server.exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`kube-mcp exited (${code}) during start-up; its log ends:\n${(server.tail ?? []).join('\n')}`)); });
  });
  const listening = server.waitFor((e) => e.message === 'listening');
  const metrics = server.waitFor((e) => e.message === 'serving metrics');
  const loaded = server.waitFor((e) => e.message === 'plugins loaded');
  const fromRegistry = server.waitFor((e) => e.message === 'plugin from registry is serving' && e.plugin === 'greeter');
  server.addr = (await listening).addr;
  server.metricsAddr = (await metrics).addr;
  await Promise.all([loaded, fromRegistry]);
  server.url = `http://${server.addr}/mcp`;
  return server;
}

/** What the server's process holds now: from /proc and its metrics. */
async function sample(server) {
  const status = fs.readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const rss = Number(status.match(/^VmRSS:\s+(\d+) kB/m)[1]) * 1024;
  const fds = fs.readdirSync(`/proc/${server.pid}/fd`).length;
  const text = await (await fetch(`http://${server.metricsAddr}/metrics`)).text();
  const gauge = (name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
  return { t: Date.now(), rss, fds, tasks: gauge('kube_mcp_runtime_alive_tasks'), inFlight: gauge('kube_mcp_in_flight_requests') };
}

/** Kills a daemon of the environment (its whole process group). */
function killDaemon(name) {
  const [pid] = fs.readFileSync(`${required('KUBE_MCP_ENV_STATE')}/pids/${name}`, 'utf8').trim().split(' ');
  process.kill(-Number(pid), 'SIGKILL');
}

/** tests/env/up starts what is not running. */
async function envUp() {
  await execFileAsync(path.join(repo, 'tests/env/up'), { env: process.env, cwd: repo, maxBuffer: 16 << 20 });
}

async function portRefuses(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

function serverOf(kubeconfig) {
  return fs.readFileSync(kubeconfig, 'utf8').match(/server:\s*(\S+)/)[1];
}

/** The bulk ConfigMaps the paged reads walk. */
async function fixtures() {
  const admin = required('KUBECONFIG');
  await kubectl(admin, 'create', 'namespace', BULK.namespace);
  const items = Array.from({ length: BULK.count }, (_, i) => ({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: `bulk-${String(i).padStart(4, '0')}`, namespace: BULK.namespace, labels: { soak: 'bulk' } },
    data: { index: String(i), filler: 'x'.repeat(200) },
  }));
  const file = path.join(os.tmpdir(), `kube-mcp-soak-bulk-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const applied = await kubectl(admin, 'apply', '--server-side', '-f', file);
  fs.rmSync(file);
  if (applied.code !== 0) throw new Error(`creating the bulk ConfigMaps: ${applied.stderr}`);
}

/** A client that sends a request for a large answer and never reads it. */
function slowClient(server, token) {
  const body = JSON.stringify({
    jsonrpc: '2.0', id: 1, method: 'tools/call',
    params: {
      name: 'list_config_maps', arguments: { namespace: BULK.namespace, output: 'json', limit: 300 },
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'soak-slow', version: '1' },
      },
    },
  });
  const [host, port] = server.addr.split(':');
  const socket = net.connect({ host, port: Number(port) });
  socket.on('error', () => {});
  socket.on('connect', () => {
    socket.pause(); // never read
    socket.write(`POST /mcp HTTP/1.1\r\nhost: ${server.addr}\r\ncontent-type: application/json\r\n`
      + 'accept: application/json, text/event-stream\r\nmcp-protocol-version: 2026-07-28\r\nmcp-method: tools/call\r\n'
      + `mcp-name: list_config_maps\r\nauthorization: Bearer ${token}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
  return socket;
}

/**
 * Runs the soak; resolves to the report's data. `options` override
 * DEFAULTS; `out` is where the report goes.
 */
export async function soak(options = {}) {
  const o = { ...DEFAULTS, ...options };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-soak-'));
  const registry = required('OCI_REGISTRY');
  const repository = `${registry}/soak-${process.pid}-${Date.now()}/greeter`;
  const faults = [];
  const fault = (kind, detail = '') => { faults.push({ t: Date.now(), kind, detail }); };

  say(`==> soak: ${o.clients} clients for ${o.duration / 1000} s, a plugin fault every ${o.faultEvery / 1000} s (work: ${work})`);
  await fixtures();

  // Plugins: the folder, and `greeter` from the registry by tag, signed.
  const dir = path.join(work, 'plugins');
  fs.mkdirSync(dir);
  for (const name of ['kube-core', 'kube-ops', 'conformance']) fs.copyFileSync(builtPlugin(name), path.join(dir, `${name}.wasm`));
  fs.copyFileSync(builtPlugin('hostile', 'test-plugins'), path.join(dir, 'hostile.wasm'));
  const greeter = { v1: builtPlugin('greeter-v1', 'test-plugins'), v2: builtPlugin('greeter-v2', 'test-plugins') };
  const rollouts = builtPlugin('kube-rollouts');
  for (const file of [greeter.v1, greeter.v2, rollouts]) {
    fs.writeFileSync(file + '.json', await pluginCli(work, 'inspect', file, '--json'));
  }
  await pluginCli(work, 'keygen', '--output', path.join(work, 'soak'));
  let greeterBuild = 0;
  const publishGreeter = async () => {
    greeterBuild += 1;
    const version = greeterBuild % 2 === 1 ? 'v1' : 'v2';
    const build = rebuilt(greeter[version], `build-${greeterBuild}`, work);
    const ref = await pluginCli(work, 'push', build, `oci://${repository}:build-${greeterBuild}`);
    await pluginCli(work, 'sign', ref, '--key', path.join(work, 'soak.key'));
    await execFileAsync(required('CRANE'), ['tag', '--insecure', `${repository}:build-${greeterBuild}`, 'live']);
    return version;
  };
  await publishGreeter();

  // Spans through a real collector, when asked.
  const otel = o.traces ? { sink: await startSink() } : undefined;
  if (otel) otel.collector = await startCollector(otel.sink.port);
  const config = path.join(work, 'config.yaml');
  fs.writeFileSync(config, `${otel ? `tracing: {otlpEndpoint: "${otel.collector.url}"}` : ''}
host: 127.0.0.1
metricsListen: 127.0.0.1:0
oidc:
  issuerUrl: ${required('OIDC_ISSUER_URL')}
  signingMethod: [RS256, ES256, PS256, EdDSA]
  requiredScopes: [mcp]
  issuers:
    - issuerUrl: ${required('KEYCLOAK_ISSUER_URL')}
      audience: [${required('MCP_RESOURCE_URL')}]
      requiredScopes: [mcp]
      signingMethod: [RS256]
kubernetes:
  clusters:
    - {name: env-a, kubeconfig: ${required('KUBECONFIG')}, default: true}
    - {name: env-b, kubeconfig: ${required('KUBECONFIG_B')}}
tools:
  rules:
    - deny: ["plugin:kube-ops"]
      when: {groups: [kube-mcp-viewers]}
plugins:
  registry: {pollInterval: 1s}
  trust:
    keys:
      - {name: soak, publicKeyFile: ${path.join(work, 'soak.pub')}, plugins: [greeter]}
  sources:
    - {name: greeter, ref: "oci://${repository}:live"}
  overrides:
    hostile: {limits: {timeout: 2s, memory: 32MiB}}
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [pods, configmaps, events, namespaces], namespaces: ["*"]}
    kube-ops:
      - {verbs: [get, patch], apiGroups: [apps], resources: [deployments, deployments/scale], namespaces: [demo]}
      - {verbs: [get, patch, create], apiGroups: [""], resources: [configmaps], namespaces: [${BULK.namespace}]}
`);
  const server = await startServer({ pluginsDir: dir, config, work });
  say(`    kube-mcp ${server.pid} on ${server.url}`);
  try {
    return await drive({ o, work, dir, server, greeter, rollouts, publishGreeter, fault, faults, rebuiltCount: () => greeterBuild, otel });
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    otel?.collector.stop();
    await otel?.sink.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The load, the faults, the settling and the drain, against a started server. */
async function drive({ o, work, dir, server, greeter, rollouts, publishGreeter, fault, faults, rebuiltCount, otel }) {

  // Callers: users of both IdPs, with different tool rules.
  const issuer = required('OIDC_ISSUER_URL');
  const keycloak = required('KEYCLOAK_ISSUER_URL');
  const users = [];
  for (const user of ['alice', 'bob', 'carol']) {
    users.push({ name: `oidc:${user}`, idp: 'node-oidc-provider', token: await userToken(issuer, { user, resource: server.url }) });
  }
  for (const user of ['alice', 'bob']) {
    users.push({ name: `keycloak:${user}`, idp: 'keycloak', token: await passwordToken(keycloak, { clientId: 'mcp-public', username: user, password: `${user}-password`, scope: 'openid mcp' }) });
  }
  for (const user of users) {
    user.groups = decodeJwt(user.token).payload.groups ?? [];
    user.writer = !user.groups.includes('kube-mcp-viewers');
  }

  // What every listing must hold: the warm-up's tools, with greeter's of
  // either build and kube-rollouts' whole or not at all.
  const greeterTools = new Set([...toolNames(greeter.v1), ...toolNames(greeter.v2)]);
  const rolloutTools = toolNames(rollouts);
  for (const user of users) {
    const listed = await new StatelessCaller(server.url, user.token, 'warm-up').listTools();
    if (!listed.ok) throw new Error(`warm-up tools/list as ${user.name}: ${listed.error}`);
    user.stable = listed.tools.map((t) => t.name).filter((n) => !greeterTools.has(n));
    if (!user.stable.includes('list_pods') || user.writer !== user.stable.includes('resources_scale')) {
      throw new Error(`${user.name} sees an unexpected set of tools: ${user.stable.join(',')}`);
    }
  }
  const listingCheck = (user) => (tools) => {
    const names = new Set(tools.map((t) => t.name));
    const missing = user.stable.filter((n) => !names.has(n));
    if (missing.length) return `tools/list lacks ${missing.join(', ')}`;
    const g = [...greeterTools].filter((n) => names.has(n)).sort().join(',');
    if (g !== toolNames(greeter.v1).sort().join(',') && g !== toolNames(greeter.v2).sort().join(',')) return `greeter half-listed: ${g}`;
    const r = rolloutTools.filter((n) => names.has(n)).length;
    if (r !== 0 && r !== rolloutTools.length) return `kube-rollouts half-listed (${r} of ${rolloutTools.length})`;
    const unknown = [...names].filter((n) => !user.stable.includes(n) && !greeterTools.has(n) && !rolloutTools.includes(n));
    return unknown.length ? `unexpected tools: ${unknown.join(', ')}` : null;
  };

  // One call of each kind before the start figures: pools and caches warm.
  const warm = new StatelessCaller(server.url, users.find((u) => u.writer).token, 'warm-up');
  for (const op of ['read-small', 'read-env-b', 'greeter', 'dry-run-write', 'read-paged', 'task']) {
    const r = await run(op, warm, { client: 'warm-up', expect: { listing: () => null } });
    if (!r.ok) throw new Error(`warm-up ${op}: ${r.error ?? r.text}`);
  }
  await sleep(1000);
  const start = await sample(server);
  const samples = [start];
  say(`    start: rss ${(start.rss / 2 ** 20).toFixed(1)} MiB, ${start.fds} fds, ${start.tasks} tasks`);

  // ---- the load ----
  const began = Date.now();
  const endAt = began + o.duration;
  const calls = [];
  const unexpected = [];
  const outage = { idp: {}, apiserver: {} };
  const inWindow = (w, t, grace = 0) => w.down !== undefined && t >= w.down && (w.back === undefined || t <= w.back + grace);
  const classify = (op, r, t, ms) => {
    if (r.dropped) return r.ok ? 'ok' : 'expected: dropped by the client';
    if (r.denied) return /unknown tool|not allowed|denied/i.test(r.text ?? r.error ?? '') ? 'expected: refused by policy' : 'unexpected';
    if (r.ok) return 'ok';
    const why = r.error ?? r.text ?? '';
    if (r.status === 503 && /^server busy/.test(why)) return 'expected: shed (server busy)';
    if (/is busy for this caller|is busy: \d+ calls/.test(why)) return 'expected: busy (admission)';
    // A call that was running when the apiserver was killed fails too.
    if (op === 'read-env-b' && (inWindow(outage.apiserver, t, 5000) || inWindow(outage.apiserver, t + ms, 5000))
      && /unavailable: cluster 'env-b'/.test(why)) return 'expected: env-b apiserver down';
    return 'unexpected';
  };
  const record = (client, user, op, r, t, ms) => {
    const outcome = classify(op, r, t, ms);
    const why = outcome === 'ok' ? undefined : (r.error ?? r.text ?? '').slice(0, 160);
    calls.push({ t, ms, op, outcome, idp: user.idp, ...(why ? { why } : {}) });
    if (outcome === 'unexpected' && unexpected.length < 200) {
      unexpected.push({ t, at: `${((t - began) / 1000).toFixed(1)} s`, client, user: user.name, op, status: r.status, error: (r.error ?? r.text ?? '').slice(0, 400) });
    }
    if (op === 'read-env-b' && inWindow(outage.apiserver, t)) (outage.apiserver.calls ??= []).push({ t, ms, ok: r.ok, error: (r.error ?? r.text ?? '').slice(0, 200) });
  };

  let stopping = false;
  const loops = [];
  for (let i = 0; i < o.clients; i++) {
    const user = users[i % users.length];
    const kind = i % 2 === 0 ? 'stateless' : 'session';
    const name = `c${i}`;
    const Caller = kind === 'session' ? SessionCaller : StatelessCaller;
    const caller = new Caller(server.url, user.token, `soak-${name}`);
    const weights = weightsFor({ kind, writer: user.writer });
    const expect = { listing: listingCheck(user) };
    loops.push((async () => {
      await sleep(Math.random() * 1000); // not all at once
      await caller.connect();
      while (!stopping && Date.now() < endAt) {
        const op = nextOp(weights);
        const t = Date.now();
        const started = performance.now();
        let r;
        try { r = await run(op, caller, { client: name, expect }); } catch (error) { r = { ok: false, error: String(error) }; }
        record(name, user, op, r, t, performance.now() - started);
        await sleep(Math.random() * 100);
      }
      await caller.close();
    })());
  }

  // The hostile plugin, at its limits the whole time.
  const hostile = { calls: 0, stopped: 0, escaped: [] };
  const admin = new StatelessCaller(server.url, users.find((u) => u.name === 'oidc:carol').token, 'soak-hostile');
  loops.push((async () => {
    while (!stopping && Date.now() < endAt) {
      const tool = hostile.calls % 2 === 0 ? 'spin' : 'hog_memory';
      const r = await admin.call(tool);
      hostile.calls += 1;
      if (!r.ok && /time limit|memory limit|busy/.test(r.error ?? r.text)) hostile.stopped += 1;
      else if (hostile.escaped.length < 20) hostile.escaped.push({ tool, answer: (r.error ?? r.text ?? '').slice(0, 200) });
      await sleep(250);
    }
  })());

  // Slow clients that never read, renewed every 20 s.
  const slow = { opened: 0, sockets: [] };
  const renewSlow = () => {
    for (const s of slow.sockets) s.destroy();
    slow.sockets = Array.from({ length: o.slowClients }, () => slowClient(server, admin.token));
    slow.opened += o.slowClients;
  };
  renewSlow();
  const slowTimer = setInterval(renewSlow, 20_000);

  // Plugin faults, one every `faultEvery`, in rotation.
  let rotation = 0;
  const pluginFaults = [
    async () => fault('registry re-tag', `greeter:live -> build-${rebuiltCount() + 1} (${await publishGreeter()})`),
    () => { fs.copyFileSync(rebuilt(builtPlugin('kube-ops'), `r${rotation}`, work), path.join(dir, 'kube-ops.wasm')); fault('plugin replaced', 'kube-ops: a new build copied in place while its calls run'); },
    () => { fs.copyFileSync(rollouts, path.join(dir, 'kube-rollouts.wasm')); fault('plugin added', 'kube-rollouts'); },
    () => { fs.writeFileSync(path.join(dir, 'kube-ops.wasm'), Buffer.from('\0asm\x01\0\0\0 broken on purpose')); fault('broken replacement', 'kube-ops.wasm overwritten with a broken component'); },
    () => { fs.copyFileSync(rebuilt(builtPlugin('conformance'), `r${rotation}`, work), path.join(dir, 'conformance.wasm')); fault('plugin replaced', 'conformance: a new build while tasks run'); },
    () => { fs.rmSync(path.join(dir, 'kube-rollouts.wasm')); fault('plugin removed', 'kube-rollouts'); },
    () => { fs.copyFileSync(builtPlugin('kube-ops'), path.join(dir, 'kube-ops.wasm')); fault('plugin replaced', 'broken kube-ops -> a good build'); },
  ];
  const faultLoop = (async () => {
    while (!stopping && Date.now() + o.faultEvery < endAt) {
      await sleep(o.faultEvery);
      try { await pluginFaults[rotation % pluginFaults.length](); } catch (error) { fault('fault failed', String(error)); }
      rotation += 1;
    }
  })();

  // The IdP, then env-b's apiserver: killed and restarted.
  const timed = (async () => {
    await sleep(o.duration * 0.3);
    if (stopping) return;
    outage.idp.down = Date.now();
    killDaemon('oidc-provider');
    fault('IdP killed', 'node-oidc-provider');
    await sleep(o.idpDown);
    await envUp();
    outage.idp.back = Date.now();
    fault('IdP back', `after ${((outage.idp.back - outage.idp.down) / 1000).toFixed(1)} s`);

    await sleep(Math.max(0, began + o.duration * 0.55 - Date.now()));
    if (stopping) return;
    const b = serverOf(required('KUBECONFIG_B'));
    outage.apiserver.down = Date.now();
    killDaemon('kube-apiserver-b');
    while (!(await portRefuses(b))) await sleep(50);
    fault('apiserver killed', 'env-b');
    await sleep(o.apiserverDown);
    await envUp();
    outage.apiserver.back = Date.now();
    fault('apiserver back', `env-b, after ${((outage.apiserver.back - outage.apiserver.down) / 1000).toFixed(1)} s`);
  })();

  const sampler = (async () => {
    while (!stopping && Date.now() < endAt) {
      await sleep(o.sampleEvery);
      const s = await sample(server);
      samples.push(s);
      const recent = calls.filter((c) => c.t > s.t - o.sampleEvery);
      const bad = calls.filter((c) => c.outcome === 'unexpected').length;
      say(`    [${String(Math.round((s.t - began) / 1000)).padStart(4)} s] ${calls.length} calls (${recent.length} in the last ${o.sampleEvery / 1000} s), ${bad} unexpected, rss ${(s.rss / 2 ** 20).toFixed(1)} MiB, ${s.fds} fds, ${s.tasks} tasks, ${s.inFlight} in flight`);
    }
  })();

  await sleep(o.duration);
  stopping = true;
  clearInterval(slowTimer);
  await Promise.all([...loops, faultLoop, timed, sampler]);
  for (const s of slow.sockets) s.destroy();
  const loadEnded = Date.now();
  say(`    load ended: ${calls.length} calls; waiting for idle connections to close (at most ${o.settle / 1000} s)`);

  // ---- settling: descriptors and tasks back to the start ----
  let settled;
  for (const deadline = Date.now() + o.settle; ;) {
    settled = await sample(server);
    samples.push(settled);
    if (settled.fds <= start.fds && settled.tasks <= start.tasks) break;
    if (Date.now() > deadline) break;
    await sleep(2000);
  }
  settled.after = settled.t - loadEnded;
  say(`    settled after ${(settled.after / 1000).toFixed(1)} s: ${settled.fds} fds (start ${start.fds}), ${settled.tasks} tasks (start ${start.tasks})`);

  // ---- SIGTERM under load ----
  const drain = await drainUnderLoad(server, users.find((u) => u.name === 'oidc:carol').token);
  say(`    drain: ${drain.completed}/${drain.accepted} accepted calls completed, readyz ${drain.readyz}, late call ${drain.late}, exit ${drain.exit} after ${(drain.exitAfter / 1000).toFixed(1)} s`);

  const traces = otel ? await spanFigures(otel.sink) : undefined;
  const data = {
    traces,
    options: { ...o, out: undefined }, began, loadEnded, calls, unexpected, samples, start, settled, faults, outage, hostile,
    slow: { opened: slow.opened }, drain, users: users.map((u) => ({ name: u.name, idp: u.idp, groups: u.groups, writer: u.writer })),
    server: {
      warnings: server.warnings.length, errors: server.errors.length, lines: server.lines,
      grouped: [...server.grouped].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([line, count]) => ({ line, count })),
    },
  };
  return o.out ? writeReport(data, o.out) : data;
}

/**
 * What arrived at the collector's sink: spans by name, and those whose
 * parent never arrived (a span of kube-mcp names a parent only in the same
 * trace: a request without `traceparent` starts one).
 */
async function spanFigures(sink) {
  // The server sent its last batch on exit; the collector forwards within 200 ms.
  await sleep(2000);
  const ids = new Set(sink.spans.map((s) => s.spanId));
  const byName = {};
  for (const s of sink.spans) byName[spanKind(s)] = (byName[spanKind(s)] ?? 0) + 1;
  const orphans = sink.spans.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId));
  const calls = sink.spans.filter((s) => spanKind(s) === 'tools/call');
  const requestIds = new Set(sink.spans.filter((s) => spanKind(s) === 'request').map((s) => s.spanId));
  return {
    spans: sink.spans.length,
    traces: new Set(sink.spans.map((s) => s.traceId)).size,
    byName,
    orphans: orphans.length,
    orphanSample: orphans.slice(0, 5).map((s) => ({ name: s.name, parent: s.parentSpanId })),
    callsUnderRequests: calls.filter((c) => requestIds.has(c.parentSpanId)).length,
    calls: calls.length,
  };
}

/**
 * Sends calls, SIGTERMs the server while they run, and checks the drain:
 * `/readyz` 503, a new call refused, every accepted call completed, exit 0.
 */
async function drainUnderLoad(server, token) {
  const headers = { authorization: `Bearer ${token}` };
  const capabilities = {};
  const accepted = [
    ...Array.from({ length: 8 }, (_, i) => post(server.url, 'tools/call', { name: 'slow_compute', arguments: { seconds: 2, label: `drain-${i}` } }, { capabilities, headers })),
    ...Array.from({ length: 8 }, () => post(server.url, 'tools/call', { name: 'list_pods', arguments: { namespace: 'demo' } }, { capabilities, headers })),
  ].map((p) => p.catch((error) => ({ status: 0, body: { error: { message: String(error) } } })));
  await sleep(500);
  const signalled = Date.now();
  server.child.kill('SIGTERM');
  await sleep(300);
  const readyz = (await fetch(`http://${server.addr}/readyz`).catch(() => ({ status: 0 }))).status;
  const late = await post(server.url, 'tools/call', { name: 'list_pods', arguments: { namespace: 'demo' } }, { capabilities, headers })
    .then((r) => (r.status === 503 && /^server shutting down/.test(r.body.error?.message) ? 'refused (503)' : `status ${r.status}`),
      (error) => (error.cause?.code === 'ECONNREFUSED' ? 'refused (connection)' : String(error)));
  const answers = await Promise.all(accepted);
  const completed = answers.filter((a) => a.status === 200 && !a.body.error && a.body.result && !a.body.result.isError).length;
  const { code, at } = await server.exited;
  return {
    accepted: answers.length, completed, readyz, late, exit: code, exitAfter: at - signalled,
    failures: answers.filter((a) => !(a.status === 200 && a.body.result && !a.body.result.isError)).map((a) => JSON.stringify(a.body).slice(0, 300)),
  };
}

// ---- command line ----
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const value = (flag, fallback) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const options = {
    duration: parseDuration(value('--duration', '10m')),
    clients: Number(value('--clients', '64')),
    faultEvery: parseDuration(value('--fault-every', '5s')),
    out: path.resolve(value('--out', path.join(repo, 'target/soak'))),
    traces: args.includes('--traces'),
  };
  if (options.duration < 180_000) {
    Object.assign(options, { sampleEvery: 5_000, bucket: 15_000, idpDown: 6_000, apiserverDown: 6_000 });
  }
  const report = await soak(options);
  say(report.markdown);
  say(`==> report: ${report.files.join(', ')}`);
  process.exit(report.verdict.passed ? 0 : 1);
}
