// Getting and checking tokens from the test IdPs, without a browser.

import * as crypto from 'node:crypto';

/** Decodes a JWT's header and payload (no verification). */
export function decodeJwt(token) {
  const [header, payload] = token.split('.').slice(0, 2).map((part) =>
    JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  return { header, payload };
}

/** Verifies a JWT's signature with a key of the issuer's JWKS (or an HS256 secret). */
export async function verifyJwt(token, { jwksUri, hs256Secret } = {}) {
  const { header } = decodeJwt(token);
  const [h, p, s] = token.split('.');
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  if (header.alg === 'HS256') {
    const expected = crypto.createHmac('sha256', hs256Secret).update(data).digest();
    return expected.length === signature.length && crypto.timingSafeEqual(expected, signature);
  }
  const { keys } = await getJson(jwksUri);
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`no key ${header.kid} in ${jwksUri}`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  switch (header.alg) {
    case 'RS256':
      return crypto.verify('sha256', data, key, signature);
    case 'PS256':
      return crypto.verify('sha256', data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING }, signature);
    case 'ES256':
      return crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'EdDSA':
      return crypto.verify(null, data, key, signature);
    default:
      throw new Error(`unsupported alg ${header.alg}`);
  }
}

export async function getJson(url, init) {
  const response = await fetch(url, init);
  const body = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${body}`);
  return JSON.parse(body);
}

export async function discovery(issuer) {
  return getJson(`${issuer}/.well-known/openid-configuration`);
}

async function tokenRequest(issuer, form, basicAuth) {
  const { token_endpoint: endpoint } = await discovery(issuer);
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basicAuth) {
    headers.authorization = `Basic ${Buffer.from(`${basicAuth.id}:${basicAuth.secret}`).toString('base64')}`;
  }
  return getJson(endpoint, { method: 'POST', headers, body: new URLSearchParams(form) });
}

/** Client credentials grant; `resource` is the RFC 8707 resource indicator. */
export async function clientCredentialsToken(issuer, { clientId, clientSecret, scope, resource }) {
  const form = { grant_type: 'client_credentials' };
  if (scope) form.scope = scope;
  if (resource) form.resource = resource;
  return (await tokenRequest(issuer, form, { id: clientId, secret: clientSecret })).access_token;
}

/** Resource owner password grant (Keycloak's public test client has it on). */
export async function passwordToken(issuer, options) {
  return (await passwordTokens(issuer, options)).access_token;
}

/** The whole token response of a password grant (access and ID token). */
export async function passwordTokens(issuer, { clientId, username, password, scope }) {
  const form = { grant_type: 'password', client_id: clientId, username, password };
  if (scope) form.scope = scope;
  return tokenRequest(issuer, form);
}

/**
 * A user's token from node-oidc-provider: authorization code with PKCE, walking
 * its development login and consent pages with a cookie jar (any password).
 */
export async function userToken(issuer, options) {
  return (await userTokens(issuer, options)).access_token;
}

/** The whole token response of {@link userToken} (access and ID token). */
export async function userTokens(issuer, { user, clientId = 'mcp-cli', scope = 'openid mcp', resource,
  redirectUri = 'http://127.0.0.1/callback' }) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const { authorization_endpoint: authorize } = await discovery(issuer);
  const params = new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope,
    code_challenge: challenge, code_challenge_method: 'S256', state: crypto.randomUUID(),
  });
  if (resource) params.set('resource', resource);

  const code = await authorizeHeadless(`${authorize}?${params}`, { user, redirectUri });
  const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId };
  if (resource) form.resource = resource;
  return tokenRequest(issuer, form);
}

/**
 * Follows an authorization URL of node-oidc-provider as a browser would,
 * logging `user` in on its development pages and consenting; resolves to
 * the authorization code delivered to `redirectUri`.
 */
export async function authorizeHeadless(authorizationUrl, { user, redirectUri }) {
  const cookies = new Map();
  const send = async (url, init = {}) => {
    const headers = { ...(init.headers ?? {}), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of response.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return response;
  };

  let url = authorizationUrl;
  for (let hop = 0; hop < 20; hop += 1) {
    const response = await send(url);
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.href.startsWith(redirectUri)) {
        const code = next.searchParams.get('code');
        if (!code) throw new Error(`authorization failed: ${next.search}`);
        return code;
      }
      url = next.href;
      continue;
    }
    // An interaction page: the login form, then the consent form.
    const html = await response.text();
    const action = html.match(/<form[^>]*action="([^"]+)"/)?.[1];
    if (!action) throw new Error(`unexpected page at ${url} (${response.status}): ${html.slice(0, 300)}`);
    const fields = new URLSearchParams();
    for (const [tag] of html.matchAll(/<input[^>]*>/g)) {
      const name = tag.match(/name="([^"]*)"/)?.[1];
      if (name) fields.set(name, tag.match(/value="([^"]*)"/)?.[1] ?? '');
    }
    if (fields.has('login')) fields.set('login', user);
    if (fields.has('password')) fields.set('password', 'any-password');
    const submitted = await send(new URL(action, url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields,
    });
    url = new URL(submitted.headers.get('location'), url).href;
  }
  throw new Error('too many redirects during login');
}
