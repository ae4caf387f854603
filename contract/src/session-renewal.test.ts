import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RENEWAL_LEAD_CAP_MS, accessTokenTimes, renewalLeadMs } from './session-renewal.ts';

describe('session renewal rule', () => {
  it('renews a quarter of the lifetime before expiry, at most 60 s before', () => {
    expect(renewalLeadMs(300_000)).toBe(60_000); // the default 5-minute token: renewed at 4 minutes
    expect(renewalLeadMs(3_600_000)).toBe(60_000);
    expect(renewalLeadMs(240_000)).toBe(60_000);
    expect(renewalLeadMs(30_000)).toBe(7_500); // the test stack's 30 s tokens
    expect(renewalLeadMs(4_000)).toBe(1_000);
    expect(renewalLeadMs(0)).toBe(0);
    expect(renewalLeadMs(-5)).toBe(0);
  });

  it('never renews before three quarters of the life have passed, however short the life', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400_000 }), (lifetimeMs) => {
        const lead = renewalLeadMs(lifetimeMs);
        expect(lead).toBeGreaterThanOrEqual(0);
        expect(lead).toBeLessThanOrEqual(RENEWAL_LEAD_CAP_MS);
        expect(lead).toBeLessThanOrEqual(lifetimeMs / 4);
      }),
    );
  });

  it('times a token by when it arrived and how long it lives, in the client’s clock', () => {
    const receivedAt = Date.parse('2026-11-27T10:00:00Z');
    expect(accessTokenTimes(300, receivedAt)).toEqual({ expiresAtMs: receivedAt + 300_000, renewAtMs: receivedAt + 240_000 });
    expect(accessTokenTimes(30, receivedAt)).toEqual({ expiresAtMs: receivedAt + 30_000, renewAtMs: receivedAt + 22_500 });
  });
});
