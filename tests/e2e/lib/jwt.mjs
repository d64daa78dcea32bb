// Forging JWTs for negative tests: any header, any claims, any key.

import * as crypto from 'node:crypto';

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An HS256 token over `claims` with `secret` (a string or Buffer). */
export function hs256(claims, secret, header = {}) {
  const head = b64({ alg: 'HS256', typ: 'JWT', ...header });
  const body = b64(claims);
  const signature = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

/** An RS256 token signed with a fresh key nobody published (kid given). */
export function rs256WithUnpublishedKey(claims, kid) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const head = b64({ alg: 'RS256', typ: 'JWT', kid });
  const body = b64(claims);
  const signature = crypto.sign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url');
  return `${head}.${body}.${signature}`;
}

/** An unsigned token (`alg: none`). */
export function unsigned(claims) {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
}

/** The token with one character of its signature changed. */
export function tampered(token) {
  const [h, p, s] = token.split('.');
  const flipped = s[0] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${flipped}${s.slice(1)}`;
}

/** Standard claims for `issuer` and `audience`, valid for five minutes. */
export function claims(issuer, audience, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer, aud: audience, sub: 'forger', iat: now, exp: now + 300, scope: 'openid mcp', ...extra };
}

/** A JWT's header and payload, unverified. */
export function decode(token) {
  const [header, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
  return { header, payload };
}
