import { describe, expect, it } from 'vitest';
import type { Session } from '../bridge/bridge-contract.ts';
import { sessionChange, type SessionState } from './session-change.ts';

function signedIn(id: number, serverUrl = 'https://pacs.example'): SessionState {
  const session: Session = { user: { id, username: `u${id}`, displayName: `User ${id}`, role: 'radiologist' }, serverUrl, accessTokenExpiresAt: '2030-01-01T00:00:00Z' };
  return { status: 'signed-in', session };
}
const signedOut: SessionState = { status: 'signed-out', endReason: null };
const restoring: SessionState = { status: 'restoring' };

describe('session changes', () => {
  it('a sign-in from the login screen starts afresh; a restored session keeps its page', () => {
    expect(sessionChange(signedOut, signedIn(1))).toBe('signed-in');
    expect(sessionChange(restoring, signedIn(1))).toBe('restored');
  });

  it('a session that ends or passes to another user or server leaves nothing behind', () => {
    expect(sessionChange(signedIn(1), signedOut)).toBe('ended');
    expect(sessionChange(signedIn(1), { status: 'signed-out', endReason: 'revoked' })).toBe('ended');
    expect(sessionChange(signedIn(1), signedIn(2))).toBe('switched');
    expect(sessionChange(signedIn(1), signedIn(1, 'https://other.example'))).toBe('switched');
  });

  it('a renewed token of the same session and a repeated sign-out change nothing', () => {
    expect(sessionChange(signedIn(1), signedIn(1))).toBe('none');
    expect(sessionChange(signedOut, signedOut)).toBe('none');
    expect(sessionChange(restoring, signedOut)).toBe('none');
  });
});
