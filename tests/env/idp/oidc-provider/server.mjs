// node-oidc-provider as the test IdP of tests/env.
//
// Issues JWT access tokens whose `aud` is the MCP resource URL asked for with
// the `resource` parameter (RFC 8707), for any loopback resource, so tests can
// run servers on any port. Supports client credentials, anonymous dynamic
// client registration, authorization code with PKCE, and a non-interactive
// user login through the development interaction pages (any password).
//
// Environment: OIDC_PORT, OIDC_STATE_DIR (keys are kept there so tokens stay
// valid across restarts), OIDC_HS256_SECRET_FILE, MCP_RESOURCE_URL.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 14980);
const issuer = `http://127.0.0.1:${port}`;
const stateDir = process.env.OIDC_STATE_DIR ?? '.';
const defaultResource = process.env.MCP_RESOURCE_URL ?? 'http://127.0.0.1:9000/mcp';
const hs256Secret = fs.readFileSync(process.env.OIDC_HS256_SECRET_FILE, 'utf8').trim();

// Signing keys (RS256, ES256, PS256, EdDSA), created once and kept.
function signingKeys() {
  const file = path.join(stateDir, 'oidc-jwks.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const jwk = (pair, alg) => ({
    ...pair.privateKey.export({ format: 'jwk' }),
    kid: `${alg.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}`,
    alg,
    use: 'sig',
  });
  const keys = [
    jwk(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RS256'),
    jwk(crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256'),
    jwk(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), 'PS256'),
    jwk(crypto.generateKeyPairSync('ed25519'), 'EdDSA'),
  ];
  fs.writeFileSync(file, JSON.stringify({ keys }), { mode: 0o600 });
  return { keys };
}

// Test users. Any other login name is accepted too, with no groups.
const users = {
  alice: { groups: ['kube-mcp-viewers'], email: 'alice@example.com' },
  bob: { groups: [], email: 'bob@example.com' },
  carol: { groups: ['kube-mcp-admins'], email: 'carol@example.com' },
};

function account(id) {
  const user = users[id] ?? { groups: [], email: `${id}@example.com` };
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        preferred_username: id,
        email: user.email,
        email_verified: true,
        groups: user.groups,
      };
    },
  };
}

// The access token's signing algorithm is chosen per client, so one IdP can
// issue every kind a test needs.
const clientAlgorithm = {
  'kube-mcp-hs256': 'HS256',
  'kube-mcp-es256': 'ES256',
  'kube-mcp-ps256': 'PS256',
  'kube-mcp-eddsa': 'EdDSA',
};

const mcpScopes = 'openid profile email groups mcp mcp:admin offline_access';

function isLoopbackResource(indicator) {
  try {
    const url = new URL(indicator);
    return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && !url.hash;
  } catch {
    return false;
  }
}

const confidential = (clientId, grants = ['client_credentials']) => ({
  client_id: clientId,
  client_secret: `${clientId}-secret`,
  grant_types: grants,
  response_types: grants.includes('authorization_code') ? ['code'] : [],
  redirect_uris: grants.includes('authorization_code') ? ['http://127.0.0.1/callback'] : [],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: mcpScopes,
});

const provider = new Provider(issuer, {
  jwks: signingKeys(),
  clients: [
    confidential('kube-mcp-tests', ['client_credentials', 'authorization_code', 'refresh_token']),
    confidential('kube-mcp-hs256'),
    confidential('kube-mcp-es256'),
    confidential('kube-mcp-ps256'),
    confidential('kube-mcp-eddsa'),
    {
      // A public client for user logins with PKCE (loopback redirect, any port).
      client_id: 'mcp-cli',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      scope: mcpScopes,
    },
  ],
  scopes: mcpScopes.split(' '),
  claims: {
    openid: ['sub'],
    profile: ['preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  findAccount: (_ctx, id) => account(id),
  // User tokens carry the identity claims the MCP server maps to Kubernetes
  // users and groups.
  async extraTokenClaims(_ctx, token) {
    if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
    const { preferred_username, groups } = await account(token.accountId).claims();
    return { preferred_username, groups };
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    registration: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => defaultResource,
      useGrantedResource: () => true,
      async getResourceServerInfo(_ctx, indicator, client) {
        if (!isLoopbackResource(indicator)) {
          throw new errors.InvalidTarget(`resource ${indicator} is not served by this test IdP`);
        }
        const alg = clientAlgorithm[client.clientId] ?? 'RS256';
        return {
          scope: mcpScopes,
          audience: indicator,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: {
            sign: alg === 'HS256' ? { alg, key: Buffer.from(hs256Secret, 'utf8') } : { alg },
          },
        };
      },
    },
  },
  pkce: { required: () => true },
  clientBasedCORS: () => true,
  ttl: { AccessToken: 3600, ClientCredentials: 3600, Grant: 3600, Session: 3600, Interaction: 600 },
  enabledJWA: {
    requestObjectSigningAlgValues: ['RS256', 'ES256', 'PS256', 'EdDSA', 'HS256'],
  },
});

// Requests by path, so tests can count what a server asks of its IdP
// (GET /test/requests; not counted itself).
const requests = {};
provider.use(async (ctx, next) => {
  if (ctx.path === '/test/requests') {
    ctx.body = requests;
    return;
  }
  requests[ctx.path] = (requests[ctx.path] ?? 0) + 1;
  await next();
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
