import { describe, expect, it } from 'vitest';
import { LoginThrottle, type LoginAdmission, type LoginAttempt } from './login-throttle.ts';

const defaults = { maxFailuresPerAccount: 5, maxFailuresPerAddress: 50, maxFailuresPerAccountFromFlaggedAddress: 2, windowSeconds: 900, lockoutSeconds: 900 };

function attemptOf(admission: LoginAdmission): LoginAttempt {
  if (!admission.admitted) throw new Error(`refused for ${admission.retryAfterSeconds} s`);
  return admission.attempt;
}

describe('LoginThrottle', () => {
  it('counts an attempt when it is admitted, so a burst of parallel attempts cannot pass the limit', () => {
    const throttle = new LoginThrottle({ ...defaults, now: () => 0 });
    // All admitted before any outcome is known, as with 20 requests in flight at once.
    const admissions = Array.from({ length: 20 }, () => throttle.admit('rad', '10.0.0.1'));
    expect(admissions.filter((a) => a.admitted)).toHaveLength(5);
    expect(admissions.slice(5).every((a) => !a.admitted && a.retryAfterSeconds === 900)).toBe(true);
    expect(throttle.failed(attemptOf(admissions[4]!))).toBe(true);
  });

  it('refuses the right password of a locked account, from any address, until the lockout ends', () => {
    let now = 0;
    const throttle = new LoginThrottle({ ...defaults, maxFailuresPerAccount: 3, lockoutSeconds: 300, now: () => now });
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) throttle.failed(attemptOf(throttle.admit('rad', address)));
    expect(throttle.admit('rad', '10.0.0.9')).toEqual({ admitted: false, retryAfterSeconds: 300 });
    now += 299_000;
    expect(throttle.admit('rad', '10.0.0.9')).toEqual({ admitted: false, retryAfterSeconds: 1 });
    now += 1_000;
    throttle.succeeded(attemptOf(throttle.admit('rad', '10.0.0.9')));
  });

  it('refunds a successful attempt and forgets the account failures', () => {
    const throttle = new LoginThrottle({ ...defaults, maxFailuresPerAccount: 2, now: () => 0 });
    throttle.failed(attemptOf(throttle.admit('rad', 'a')));
    throttle.succeeded(attemptOf(throttle.admit('rad', 'a')));
    throttle.failed(attemptOf(throttle.admit('rad', 'a')));
    expect(throttle.admit('rad', 'a').admitted).toBe(true);
  });

  it('a successful attempt that reached the limit while being checked does not leave the account locked', () => {
    const throttle = new LoginThrottle({ ...defaults, maxFailuresPerAccount: 2, now: () => 0 });
    throttle.failed(attemptOf(throttle.admit('rad', 'a')));
    const right = attemptOf(throttle.admit('rad', 'a'));
    expect(right.locked.account).toBe(true);
    throttle.succeeded(right);
    expect(throttle.admit('rad', 'a').admitted).toBe(true);
  });

  it('forgets failures outside the window', () => {
    let now = 0;
    const throttle = new LoginThrottle({ ...defaults, maxFailuresPerAccount: 2, windowSeconds: 60, now: () => now });
    throttle.failed(attemptOf(throttle.admit('rad', 'a')));
    now += 61_000;
    expect(throttle.failed(attemptOf(throttle.admit('rad', 'a')))).toBe(false);
    expect(throttle.admit('rad', 'a').admitted).toBe(true);
  });

  it('one address with many failures cannot lock out accounts that have not failed there', () => {
    const throttle = new LoginThrottle({ ...defaults, now: () => 0 });
    // 60 names sprayed from one proxy address: the address is flagged on the 50th.
    const flagged = Array.from({ length: 60 }, (_, i) => throttle.failed(attemptOf(throttle.admit(`nobody.${i}`, '10.1.1.1'))));
    expect(flagged.indexOf(true)).toBe(49);
    // Another account behind the same address still gets in.
    throttle.succeeded(attemptOf(throttle.admit('admin', '10.1.1.1')));
    expect(throttle.admit('admin', '10.1.1.1').admitted).toBe(true);
  });

  it('from a flagged address each account may fail only a few times, then waits for the flag to end', () => {
    let now = 0;
    const throttle = new LoginThrottle({ ...defaults, maxFailuresPerAddress: 3, lockoutSeconds: 600, now: () => now });
    for (let i = 0; i < 3; i++) throttle.failed(attemptOf(throttle.admit(`nobody.${i}`, '10.1.1.1')));
    throttle.failed(attemptOf(throttle.admit('rad', '10.1.1.1')));
    const second = attemptOf(throttle.admit('rad', '10.1.1.1'));
    expect(throttle.failed(second)).toBe(true);
    now += 10_000;
    expect(throttle.admit('rad', '10.1.1.1')).toEqual({ admitted: false, retryAfterSeconds: 590 });
    // Only from that address, and only that account.
    expect(throttle.admit('rad', '10.2.2.2').admitted).toBe(true);
    expect(throttle.admit('dr.house', '10.1.1.1').admitted).toBe(true);
  });

  it('keeps at most maxEntries keys per table', () => {
    const throttle = new LoginThrottle({ ...defaults, maxFailuresPerAccount: 1, maxEntries: 10, now: () => 0 });
    throttle.failed(attemptOf(throttle.admit('first', 'a')));
    expect(throttle.admit('first', 'a').admitted).toBe(false);
    for (let i = 0; i < 10; i++) throttle.failed(attemptOf(throttle.admit(`name.${i}`, `10.0.0.${i}`)));
    // The oldest entry made room for the newer ones.
    expect(throttle.admit('first', 'a').admitted).toBe(true);
  });
});
