// Figures of several clusters (docs/benchmarks.md), all in one run:
// - tools/list of a server with one cluster, and of one with two (each
//   tool's schema then gains `context`, its enum per caller);
// - get_config_map on the first cluster (the server's own credentials), on
//   the second by token exchange with the exchanged token cached, and with
//   a fresh token each time (one exchange at Keycloak per call).
//
// Run from the repository after `make build`, with the environment up:
//   eval "$(tests/env/up)" && node scripts/cluster-figures.mjs
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

import { builtPlugin, pluginsDir, startServer } from '../tests/e2e/lib/server.mjs';

const e2e = createRequire(new URL('../tests/e2e/package.json', import.meta.url));
const { Client } = await import(e2e.resolve('@modelcontextprotocol/sdk/client/index.js'));
const { StreamableHTTPClientTransport } = await import(e2e.resolve('@modelcontextprotocol/sdk/client/streamableHttp.js'));

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set: eval "$(tests/env/up)" first`);
  return process.env[name];
};
const log = (line) => process.stderr.write(`${line}\n`);
const ROUNDS = Number(process.env.ROUNDS ?? 40);
const issuer = env('KEYCLOAK_HTTPS_ISSUER_URL');

function token() {
  const body = new URLSearchParams({ grant_type: 'password', client_id: 'mcp-public', username: 'alice', password: 'alice-password', scope: 'openid mcp kube-mcp-exchange' }).toString();
  return new Promise((resolve, reject) => {
    const request = https.request(`${issuer}/protocol/openid-connect/token`, {
      method: 'POST', ca: fs.readFileSync(env('ENV_CA_FILE')),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
    }, (response) => { let t = ''; response.on('data', (c) => { t += c; }); response.on('end', () => resolve(JSON.parse(t).access_token)); });
    request.on('error', reject);
    request.end(body);
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-figures-'));
const secret = path.join(dir, 'secret');
fs.writeFileSync(secret, 'kube-mcp-exchange-secret');
const grants = `plugins:
  grants:
    kube-core:
      - {verbs: [get, list], apiGroups: [""], resources: [configmaps, namespaces, pods], namespaces: ["*"]}
`;
const oidc = `oidc:
  issuerUrl: ${issuer}
  audience: [${env('MCP_RESOURCE_URL')}]
  signingMethod: [RS256]
`;
const one = path.join(dir, 'one.yaml');
fs.writeFileSync(one, `${oidc}kubernetes:
  clusters:
    - {name: env-a, kubeconfig: ${env('KUBECONFIG')}}
${grants}`);
const two = path.join(dir, 'two.yaml');
fs.writeFileSync(two, `${oidc}kubernetes:
  clusters:
    - {name: env-a, kubeconfig: ${env('KUBECONFIG')}, default: true}
    - name: env-b
      kubeconfig: ${env('KUBECONFIG_B')}
      identity: tokenExchange
      tokenExchange: {tokenUrl: ${issuer}/protocol/openid-connect/token, clientId: kube-mcp-exchange, clientSecretFile: ${secret}, audience: cluster-b, caFile: ${env('ENV_CA_FILE')}}
${grants}`);

const start = async (config) => {
  const server = await startServer({ plugins: pluginsDir(builtPlugin('kube-core')), args: ['--config', config], env: { SSL_CERT_FILE: env('ENV_CA_FILE') } });
  await server.waitForLog((e) => e.message === "fetched the issuer's signing keys");
  return server;
};
const connect = async (server, bearer) => {
  const client = new Client({ name: 'figures', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
  return client;
};
const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (f) => { const t0 = performance.now(); await f(); return performance.now() - t0; };

const [single, double] = [await start(one), await start(two)];
try {
  const bearer = await token();
  const [c1, c2] = [await connect(single, bearer), await connect(double, bearer)];
  const get = (client, context) => async () => {
    const r = await client.callTool({ name: 'get_config_map', arguments: context ? { namespace: 'east', name: 'cluster-identity', context } : { namespace: 'kube-system', name: 'extension-apiserver-authentication' } });
    if (r.isError) throw new Error(r.content[0].text);
  };
  log(`==> ${ROUNDS} rounds each, alternating`);
  const times = { 'tools/list, one cluster': [], 'tools/list, two clusters': [], 'call on env-a (server identity)': [], 'call on env-b (exchanged, cached)': [], 'call on env-b (fresh token: one exchange)': [] };
  let listed = {};
  for (let i = 0; i < ROUNDS; i++) {
    times['tools/list, one cluster'].push(await time(async () => { listed.one = JSON.stringify((await c1.listTools()).tools).length; }));
    times['tools/list, two clusters'].push(await time(async () => { listed.two = JSON.stringify((await c2.listTools()).tools).length; }));
    times['call on env-a (server identity)'].push(await time(get(c2)));
    times['call on env-b (exchanged, cached)'].push(await time(get(c2, 'env-b')));
    const fresh = await connect(double, await token());
    times['call on env-b (fresh token: one exchange)'].push(await time(get(fresh, 'env-b')));
    await fresh.close();
    if ((i + 1) % 10 === 0) log(`  ${i + 1}/${ROUNDS}`);
  }
  const base = p50(times['tools/list, one cluster']);
  const callBase = p50(times['call on env-a (server identity)']);
  console.log('| what | p50 ms | ratio |');
  console.log('|---|---|---|');
  for (const [what, xs] of Object.entries(times)) {
    const against = what.startsWith('tools/list') ? base : callBase;
    console.log(`| ${what} | ${p50(xs).toFixed(1)} | ${(p50(xs) / against).toFixed(2)}× |`);
  }
  console.log(`\ntools/list answer: ${listed.one} bytes with one cluster, ${listed.two} with two (${((listed.two / listed.one - 1) * 100).toFixed(0)}% more: the context property)`);
  await c1.close();
  await c2.close();
} finally {
  await single.stop();
  await double.stop();
}
