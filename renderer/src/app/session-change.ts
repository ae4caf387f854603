/**
 * How one session state follows another, as far as what the previous user leaves behind is
 * concerned. A session that ends, or is replaced by another user's (or another server's), must
 * leave no study, measurement or cached image to the next; a fresh sign-in starts at the worklist;
 * a reload that restores the same session keeps the page it was on.
 */
import type { Session, SessionEndReason } from '../bridge/bridge-contract.ts';

export type SessionState = { status: 'restoring' } | { status: 'signed-out'; endReason: SessionEndReason | null } | { status: 'signed-in'; session: Session };

export type SessionChange = 'none' | 'restored' | 'signed-in' | 'ended' | 'switched';

/** Who a session belongs to: the same user on another server is someone else's data. */
export function sessionOwner(state: SessionState): string | null {
  return state.status === 'signed-in' ? `${state.session.user.id}@${state.session.serverUrl}` : null;
}

export function sessionChange(previous: SessionState, next: SessionState): SessionChange {
  const before = sessionOwner(previous);
  const after = sessionOwner(next);
  if (before !== null) {
    if (after === null) return 'ended';
    return after === before ? 'none' : 'switched';
  }
  if (after === null) return 'none';
  return previous.status === 'restoring' ? 'restored' : 'signed-in';
}
