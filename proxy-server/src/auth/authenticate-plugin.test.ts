import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditUnavailableError, type AuditEvent } from '../audit/audit-events.ts';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { createUser, findUserById, linkIdpIdentity, type User } from '../users/user-repository.ts';
import { TokenError, type AccessTokenVerifier, type VerifiedAccessToken } from './access-tokens.ts';
import { kyselyGateReads } from '../gate-reads.ts';
import { authenticatedUser, requireAuthentication, type AuthenticationServices } from './authenticate-plugin.ts';

let temp: TempDatabase;
let ada: User;
let app: FastifyInstance | undefined;
let audited: AuditEvent[];
let auditDown: boolean;
let revoked: Set<string>;

beforeEach(async () => {
  temp = await createTempDatabase();
  ada = await createUser(temp.db, { username: 'ada', displayName: 'Ada', role: 'radiologist', password: 'a long password' });
  audited = [];
  auditDown = false;
  revoked = new Set();
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await temp.dispose();
});

const IDP = 'https://idp.hospital.example';

/** Accepts `Bearer ada` (session s1) and `Bearer ada-as-admin`; refuses anything else as the real verifier would. */
const verifier = {
  async verify(token: string | undefined): Promise<VerifiedAccessToken> {
    if (token === undefined) throw new TokenError('TOKEN_MISSING', 'no bearer token');
    const local = { issuer: 'reading-station', local: true, expiresAt: new Date(Date.now() + 60_000) } as const;
    if (token === 'ada') return { ...local, userId: String(ada.id), username: 'ada', role: 'radiologist', sessionId: 's1', tokenId: 't1' };
    if (token === 'ada-as-admin') return { ...local, userId: String(ada.id), username: 'ada', role: 'admin', tokenId: 't2' };
    // A hospital IdP's tokens: sub idp-ada, and another account whose name claim also says "ada".
    const idp = { issuer: IDP, local: false, tokenId: 't3', role: 'radiologist', expiresAt: new Date(Date.now() + 60_000) } as const;
    if (token === 'idp-ada') return { ...idp, userId: 'idp-ada', username: 'ada' };
    if (token === 'idp-other-named-ada') return { ...idp, userId: 'idp-someone-else', username: 'ada' };
    throw new TokenError('TOKEN_INVALID', 'bad signature');
  },
} as AccessTokenVerifier;

function services(): AuthenticationServices {
  return {
    db: temp.db,
    audit: {
      async append(event) {
        if (auditDown) throw new AuditUnavailableError('audit store unavailable: disk full');
        audited.push(event);
        return audited.length;
      },
    },
    clientAddress: () => '192.0.2.1',
    verifier,
    // The registry's accounts, with sessions ended by adding them to `revoked`.
    reads: {
      ...kyselyGateReads(temp.db),
      account: async (userId, sessionId) => ({ user: await findUserById(temp.db, userId), sessionRevoked: sessionId !== undefined && revoked.has(sessionId) }),
      isSessionRevoked: async (sessionId) => revoked.has(sessionId),
    },
  };
}

/** One protected plugin beside one open route, as gate-routes.ts registers them. */
function server(): FastifyInstance {
  app = Fastify();
  app.register(async (scope) => {
    requireAuthentication(scope, services());
    scope.get('/protected', async (request) => ({ user: authenticatedUser(request).username, same: request.user === authenticatedUser(request) }));
    // Plugins registered inside a protected scope are protected too.
    await scope.register(async (inner) => {
      inner.get('/protected/inner', async (request) => ({ user: authenticatedUser(request).username }));
    });
  });
  app.get('/open', async (request) => ({ hasUser: 'user' in request }));
  app.get('/misplaced', async (request) => authenticatedUser(request));
  return app;
}

const get = (url: string, token?: string) => server().inject({ method: 'GET', url, headers: { 'user-agent': 'test/1', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) } });

describe('requireAuthentication', () => {
  it('sets request.user on the routes of its scope and of the plugins inside it', async () => {
    expect((await get('/protected', 'ada')).json()).toEqual({ user: 'ada', same: true });
    expect((await get('/protected/inner', 'ada')).json()).toEqual({ user: 'ada' });
    expect(audited).toEqual([]);
  });

  it('leaves routes outside its scope alone: no token needed, no user, nothing audited', async () => {
    const response = await get('/open');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ hasUser: false });
    expect(audited).toEqual([]);
  });

  it('refuses before the handler, with 401, WWW-Authenticate and a TOKEN_REJECTED row naming the reason', async () => {
    for (const [token, code, reason] of [
      [undefined, 'TOKEN_MISSING', 'no bearer token'],
      ['forged', 'TOKEN_INVALID', 'bad signature'],
      ['ada-as-admin', 'TOKEN_INVALID', 'account disabled or role changed'],
    ] as const) {
      audited = [];
      const response = await get('/protected/inner', token);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="reading-station", error="invalid_token"');
      expect(response.json()).toMatchObject({ error: 'authentication failed', code });
      expect(audited).toEqual([
        {
          action: 'TOKEN_REJECTED',
          result: 'denied',
          reason: `${code}: ${reason}`,
          requestId: response.headers['x-request-id'] ?? expect.any(String),
          clientIp: '192.0.2.1',
          userAgent: 'test/1',
        },
      ]);
    }
  });

  it('stops the access tokens of an ended session', async () => {
    revoked.add('s1');
    const response = await get('/protected', 'ada');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'SESSION_REVOKED' });
    expect(audited).toMatchObject([{ action: 'TOKEN_REJECTED', reason: 'SESSION_REVOKED: the session was ended' }]);
  });

  it('answers 503 and serves nothing when the rejection cannot be audited', async () => {
    auditDown = true;
    const response = await get('/protected', 'forged');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('makes authenticatedUser a programming error outside a protected scope', async () => {
    expect((await get('/misplaced')).statusCode).toBe(500);
  });

  it("links a hospital IdP's token to an account by issuer and sub, never by its name claim", async () => {
    // Not linked yet: a name claim that matches a login name is not enough.
    expect((await get('/protected', 'idp-ada')).statusCode).toBe(401);
    await linkIdpIdentity(temp.db, 'ada', IDP, 'idp-ada');
    expect((await get('/protected', 'idp-ada')).json()).toEqual({ user: 'ada', same: true });
    // Another IdP account whose name claim says "ada" is not ada.
    const other = await get('/protected', 'idp-other-named-ada');
    expect(other.statusCode).toBe(401);
    expect(other.json()).toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
