// Discovery and keys are fetched carefully: the discovery document must name
// the configured issuer exactly, keys come over https (loopback aside, or an
// explicit, logged allowHttp), and a huge or endless answer is cut off.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { binary, pluginsDir, startServer } from './lib/server.mjs';

/** A test-controlled issuer on loopback; `routes` maps a path to a handler. */
async function fakeIssuer(routes) {
  const server = http.createServer((req, res) => {
    const route = routes[req.url];
    if (!route) { res.writeHead(404).end(); return; }
    route(req, res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }) };
}

const json = (value) => (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
const smallJwks = { keys: [{ kty: 'RSA', kid: 'k', n: 'sXch', e: 'AQAB' }] };

/** Starts the server against `issuer`; resolves to the first fetch failure logged. */
async function firstFailure(issuer) {
  const server = await startServer({ plugins: pluginsDir(), args: ['--oidc-issuer-url', issuer] });
  try {
    const line = await server.waitForLog((e) => /cannot fetch the issuer's signing keys/.test(e.message) || e.message === "fetched the issuer's signing keys", 30_000);
    return line.message;
  } finally {
    await server.stop();
  }
}

describe('fetching an issuer\'s keys', () => {
  const issuers = [];
  const issuer = async (routes) => { const i = await fakeIssuer(routes); issuers.push(i); return i; };
  after(async () => { for (const i of issuers) await i.close(); });

  test('a discovery document naming the issuer with a trailing slash added is not used', async () => {
    const routes = { '/jwks': json(smallJwks) };
    const real = await issuer(routes);
    routes['/.well-known/openid-configuration'] = json({ issuer: `${real.base}/`, jwks_uri: `${real.base}/jwks` });
    assert.match(await firstFailure(real.base), new RegExp(`names issuer '${real.base}/', not '${real.base}' \\(they must be equal\\)`));
    // The same document naming it exactly is used.
    routes['/.well-known/openid-configuration'] = json({ issuer: real.base, jwks_uri: `${real.base}/jwks` });
    assert.equal(await firstFailure(real.base), "fetched the issuer's signing keys");
  });

  test('a JWKS larger than 256 KiB is refused', async () => {
    const routes = {};
    const idp = await issuer(routes);
    routes['/.well-known/openid-configuration'] = json({ issuer: idp.base, jwks_uri: `${idp.base}/jwks` });
    // Chunked, without Content-Length: the limit holds while reading.
    routes['/jwks'] = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
      for (let i = 0; i < 400; i += 1) res.write(`${i ? ',' : ''}{"kty":"oct","kid":"${'x'.repeat(1000)}"}`);
      res.end(']}');
    };
    assert.match(await firstFailure(idp.base), /larger than 262144 bytes/);
  });

  test('a jwks_uri over plain HTTP to another host is refused before any request', async () => {
    const routes = {};
    const idp = await issuer(routes);
    routes['/.well-known/openid-configuration'] = json({ issuer: idp.base, jwks_uri: 'http://keys.example.invalid/jwks' });
    assert.match(await firstFailure(idp.base), /jwks_uri 'http:\/\/keys.example.invalid\/jwks' is not https/);
  });

  test('an answer that never ends is given up after the timeout', async () => {
    const routes = {};
    const idp = await issuer(routes);
    routes['/.well-known/openid-configuration'] = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"issuer":');
      const timer = setInterval(() => res.write(' '), 500);
      res.on('close', () => clearInterval(timer));
    };
    assert.match(await firstFailure(idp.base), /no whole answer within 10s/);
  });
});

describe('plain HTTP issuers', () => {
  test('are refused at start-up unless loopback or allowHttp, which is logged', async () => {
    const refused = spawnSync(binary, ['serve', '--port', '0', '--plugins-dir', pluginsDir(), '--oidc-issuer-url', 'http://idp.example.invalid'], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /--oidc-issuer-url: 'http:\/\/idp.example.invalid' is plain HTTP/);
    const server = await startServer({ plugins: pluginsDir(), args: ['--oidc-issuer-url', 'http://idp.example.invalid', '--oidc-allow-http'] });
    try {
      const warning = await server.waitForLog((e) => /fetched over plain HTTP/.test(e.message));
      assert.equal(warning.level, 'WARN');
    } finally {
      await server.stop();
    }
  });
});
