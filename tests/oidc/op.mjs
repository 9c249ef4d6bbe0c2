// A real OpenID provider for tests: oidc-provider with its development login and consent
// forms. Whatever is typed as "login" becomes the account; an e-mail-looking login is also
// its (verified) e-mail address. Configuration comes from the environment.
import Provider from 'oidc-provider';

const port = Number(process.env.OP_PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OP_CLIENT_ID,
    client_secret: process.env.OP_CLIENT_SECRET,
    redirect_uris: process.env.OP_REDIRECT_URIS.split(','),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false,
  pkce: { required: () => false },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      email: id.includes('@') ? id : `${id}@example.com`,
      email_verified: !id.startsWith('unverified'),
      name: id.split('@')[0],
    }),
  }),
  issueRefreshToken: async () => true,
});
provider.proxy = true;
provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
