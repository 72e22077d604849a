// Test-only OpenID Provider for keystoneauth-rs integration tests (`cargo xtask peers up`).
//
// panva/oidc-provider v9 over HTTPS on 127.0.0.1. Everything it needs comes from the JSON
// file named by OP_CONFIG (written by xtask): issuer, port, TLS files, users, clients.
//
// Grants: authorization_code (PKCE optional for confidential clients, honoured when sent),
// refresh_token, client_credentials, device_code (RFC 8628, PKCE accepted) and `password`
// (RFC 6749 4.3). oidc-provider dropped ROPC, so it is registered again below: it checks the
// user table and issues a real access token (JWT, RFC 9068, signed with the key at /jwks)
// and an id_token.
import Provider, { errors } from 'oidc-provider';
import https from 'node:https';
import fs from 'node:fs';

const cfg = JSON.parse(fs.readFileSync(process.env.OP_CONFIG, 'utf8'));
const ISSUER = cfg.issuer;
const RESOURCE = cfg.resource;
const USERS = cfg.users; // { name: { password, email, groups } }
const SCOPES = ['openid', 'offline_access', 'email', 'profile'];

const resourceServer = () => ({
  scope: 'openid email profile',
  audience: RESOURCE,
  accessTokenFormat: 'jwt',
  accessTokenTTL: 3600,
  jwt: { sign: { alg: 'RS256' } },
});

const clients = cfg.clients.map((c) => ({
  client_id: c.client_id,
  ...(c.client_secret ? { client_secret: c.client_secret } : {}),
  token_endpoint_auth_method: c.auth_method,
  grant_types: c.grant_types,
  response_types: c.grant_types.includes('authorization_code') ? ['code'] : [],
  redirect_uris: c.grant_types.includes('authorization_code') ? cfg.redirect_uris : [],
}));

async function findAccount(ctx, id) {
  const user = USERS[id];
  if (!user) return undefined;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id, name: id, preferred_username: id,
        email: user.email, email_verified: true, groups: user.groups,
      };
    },
  };
}

const configuration = {
  clients,
  findAccount,
  scopes: SCOPES,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'groups'],
  },
  features: {
    devInteractions: { enabled: true }, // login form (any account id) + consent; scriptable
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => resourceServer(),
    },
  },
  // keystoneauth's OidcAuthorizationCode sends no code_verifier: PKCE must stay optional.
  pkce: { required: () => false },
  ttl: {
    AccessToken: 3600, AuthorizationCode: 120, ClientCredentials: 3600, DeviceCode: 600,
    Grant: 3600, IdToken: 3600, Interaction: 600, RefreshToken: 86400, Session: 3600,
  },
  issueRefreshToken: async () => true,
  cookies: { keys: [cfg.cookie_key] },
};

const provider = new Provider(ISSUER, configuration);

// Resource-owner password credentials (RFC 6749 section 4.3).
provider.registerGrantType('password', async (ctx) => {
  const { client, params } = ctx.oidc;
  if (!client.grantTypeAllowed('password')) {
    throw new errors.UnauthorizedClient('password grant not allowed for this client');
  }
  const user = USERS[params.username];
  if (!user || user.password !== params.password) {
    throw new errors.InvalidGrant('invalid resource owner credentials');
  }
  const scope = (params.scope || 'openid').split(' ').filter((s) => SCOPES.includes(s)).join(' ');
  const grant = new provider.Grant({ accountId: params.username, clientId: client.clientId });
  grant.addOIDCScope(scope);
  grant.addResourceScope(RESOURCE, scope);
  const grantId = await grant.save();
  const at = new provider.AccessToken({
    accountId: params.username, client, grantId, gty: 'password', scope,
  });
  at.resourceServer = new provider.ResourceServer(RESOURCE, resourceServer());
  const accessToken = await at.save();
  const body = { access_token: accessToken, token_type: 'Bearer', expires_in: at.expiration, scope };
  if (scope.split(' ').includes('openid')) {
    const account = await findAccount(ctx, params.username);
    const idt = new provider.IdToken({ ...(await account.claims()) }, { ctx });
    idt.scope = scope;
    idt.set('at_hash', accessToken);
    body.id_token = await idt.issue({ use: 'idtoken' });
  }
  ctx.body = body;
}, ['username', 'password', 'scope']);

provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.on('grant.error', (ctx, err) => console.error('grant.error', err.message));

https
  .createServer({ cert: fs.readFileSync(cfg.tls_cert), key: fs.readFileSync(cfg.tls_key) },
    provider.callback())
  .listen(cfg.port, '127.0.0.1', () => console.log(`oidc-provider listening on ${ISSUER}`));

// Clean exit on SIGTERM (xtask peers down).
process.on('SIGTERM', () => process.exit(0));
