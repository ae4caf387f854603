import { describe, expect, it } from 'vitest';
import { desktopTokenResponseSchema, loginRequestSchema, logoutRequestSchema, refreshRequestSchema, webTokenResponseSchema } from './auth-schemas.ts';
import { ERROR_CODES, ERROR_CODE_LIST, errorBodySchema, isErrorCode, readErrorBody } from './error-codes.ts';

const user = { id: 7, username: 'rad.chen', displayName: 'Dr. Mei Chen', role: 'radiologist' };
const web = { accessToken: 'a.b.c', tokenType: 'Bearer', expiresIn: 300, expiresAt: '2026-11-27T10:05:00.000Z', user };
const desktop = { ...web, refreshToken: 'r'.repeat(43), refreshExpiresAt: '2026-12-27T10:00:00.000Z' };

describe('auth requests', () => {
  it('a login is a web client unless it says otherwise, and carries nothing else', () => {
    expect(loginRequestSchema.parse({ username: 'rad', password: 'pw' })).toEqual({ username: 'rad', password: 'pw', client: 'web' });
    expect(loginRequestSchema.parse({ username: 'rad', password: 'pw', client: 'desktop' }).client).toBe('desktop');
    for (const bad of [
      {},
      { username: '', password: 'pw' },
      { username: 'rad', password: '' },
      { username: 'x'.repeat(129), password: 'pw' },
      { username: 'rad', password: 'x'.repeat(1025) },
      { username: 'rad', password: 'pw', client: 'mobile' },
      { username: 'rad', password: 'pw', role: 'admin' },
    ]) {
      expect(loginRequestSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('a refresh or logout names the desktop’s token or nothing (the cookie)', () => {
    expect(refreshRequestSchema.parse(undefined)).toEqual({ client: 'web' });
    expect(refreshRequestSchema.parse({})).toEqual({ client: 'web' });
    expect(refreshRequestSchema.parse({ refreshToken: 'tok', client: 'desktop' })).toEqual({ refreshToken: 'tok', client: 'desktop' });
    expect(logoutRequestSchema.parse({ refreshToken: 'tok' })).toEqual({ refreshToken: 'tok', client: 'web' });
    for (const bad of [{ refreshToken: '' }, { refreshToken: 'x'.repeat(129) }, { refreshToken: 'tok', extra: 1 }]) {
      expect(refreshRequestSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('token responses', () => {
  it('web answers carry the access token only; desktop answers the refresh token too', () => {
    expect(webTokenResponseSchema.parse(web)).toEqual(web);
    expect(webTokenResponseSchema.parse(desktop)).toEqual(web);
    expect(desktopTokenResponseSchema.parse(desktop)).toEqual(desktop);
    expect(desktopTokenResponseSchema.safeParse(web).success).toBe(false);
  });

  it('refuses answers that are not the gate’s', () => {
    for (const bad of [
      { ...web, tokenType: 'bearer' },
      { ...web, accessToken: '' },
      { ...web, expiresIn: 0 },
      { ...web, expiresAt: 'tomorrow' },
      { ...web, user: { ...user, role: 'janitor' } },
      { ...web, user: { ...user, id: '7' } },
    ]) {
      expect(webTokenResponseSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('error answers', () => {
  it('every code has an error status and a meaning', () => {
    expect(ERROR_CODE_LIST.length).toBe(Object.keys(ERROR_CODES).length);
    for (const code of ERROR_CODE_LIST) {
      expect(code).toMatch(/^[A-Z][A-Z_]+[A-Z]$/);
      expect(ERROR_CODES[code].status).toBeGreaterThanOrEqual(400);
      expect(ERROR_CODES[code].status).toBeLessThan(600);
      expect(ERROR_CODES[code].meaning.length).toBeGreaterThan(5);
    }
  });

  it('the body is { error, code, requestId } with one of the codes', () => {
    const body = { error: 'authentication failed: wrong username or password', code: 'INVALID_CREDENTIALS', requestId: 'req-1' };
    expect(errorBodySchema.parse(body)).toEqual(body);
    expect(errorBodySchema.safeParse({ ...body, code: 'HTTP_418' }).success).toBe(false);
    expect(isErrorCode('SESSION_REVOKED')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
  });

  it('reads what it can from any body', () => {
    expect(readErrorBody({ error: 'gone', code: 'SESSION_EXPIRED', requestId: 'r' })).toEqual({ code: 'SESSION_EXPIRED', message: 'gone', requestId: 'r' });
    expect(readErrorBody({ code: 'SOMETHING_NEW' })).toEqual({ code: undefined, message: undefined, requestId: undefined });
    expect(readErrorBody('<html>')).toEqual({ code: undefined, message: undefined, requestId: undefined });
    expect(readErrorBody(null)).toEqual({ code: undefined, message: undefined, requestId: undefined });
  });
});
