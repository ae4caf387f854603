/**
 * When a client renews its access token: the one rule both hosts follow.
 *
 * Renew once three quarters of the token's lifetime have passed, but never more than 60 s before
 * it expires: lead = min(60 s, lifetime / 4).
 *
 * Why this rule (the desktop's) and not the web's former one (a fifth of the lifetime, at least
 * 5 s and at most 60 s): a fixed floor is larger than a quarter of a short lifetime, and once it
 * reaches the lifetime itself (tokens of 5 s or less) every request renews and rotates the refresh
 * token. A fraction of the lifetime has no such edge, still leaves a request started just before
 * the renewal most of the lead to arrive, and with the cap a 5-minute token (the default) is
 * renewed at 4 minutes, not 1.
 *
 * Times are taken from `expiresIn` and the moment the client received the token, by the client's
 * own clock, never from `expiresAt`: the workstation's clock and the server's need not agree.
 */
export const RENEWAL_LEAD_CAP_MS = 60_000;

/** How long before expiry to renew a token that lives `lifetimeMs`. */
export function renewalLeadMs(lifetimeMs: number): number {
  return Math.min(RENEWAL_LEAD_CAP_MS, Math.max(0, lifetimeMs) / 4);
}

export interface AccessTokenTimes {
  /** When the token stops working, in the client's clock (ms since the epoch). */
  expiresAtMs: number;
  /** When to renew it. */
  renewAtMs: number;
}

/** Expiry and renewal time of a token issued for `expiresInSeconds`, received at `receivedAtMs`. */
export function accessTokenTimes(expiresInSeconds: number, receivedAtMs: number): AccessTokenTimes {
  const lifetimeMs = Math.max(0, expiresInSeconds * 1000);
  const expiresAtMs = receivedAtMs + lifetimeMs;
  return { expiresAtMs, renewAtMs: expiresAtMs - renewalLeadMs(lifetimeMs) };
}
