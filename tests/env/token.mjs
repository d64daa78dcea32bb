// See tests/env/token.
import { parseArgs } from 'node:util';

import { clientCredentialsToken, passwordToken, userToken } from '../e2e/lib/oidc.mjs';

const { values: o } = parseArgs({
  options: {
    idp: { type: 'string', default: 'oidc' },
    user: { type: 'string' },
    alg: { type: 'string', default: 'RS256' },
    scope: { type: 'string', default: 'mcp' },
    resource: { type: 'string', default: process.env.MCP_RESOURCE_URL },
  },
});

const clients = { RS256: 'kube-mcp-tests', HS256: 'kube-mcp-hs256', ES256: 'kube-mcp-es256', PS256: 'kube-mcp-ps256', EdDSA: 'kube-mcp-eddsa' };

let token;
if (o.idp === 'keycloak') {
  const issuer = process.env.KEYCLOAK_ISSUER_URL;
  token = o.user
    ? await passwordToken(issuer, { clientId: 'mcp-public', username: o.user, password: `${o.user}-password`, scope: `openid ${o.scope}` })
    : await clientCredentialsToken(issuer, { clientId: 'mcp-confidential', clientSecret: 'mcp-confidential-secret', scope: o.scope });
} else if (o.idp === 'oidc') {
  const issuer = process.env.OIDC_ISSUER_URL;
  const clientId = clients[o.alg];
  if (!clientId) throw new Error(`--alg must be one of ${Object.keys(clients).join(', ')}`);
  token = o.user
    ? await userToken(issuer, { user: o.user, scope: `openid ${o.scope}`, resource: o.resource })
    : await clientCredentialsToken(issuer, { clientId, clientSecret: `${clientId}-secret`, scope: o.scope, resource: o.resource });
} else {
  throw new Error('--idp must be oidc or keycloak');
}
console.log(token);
