import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.ts';

describe('LoginThrottle', () => {
  it('locks an account after too many failures, then lets it try after the lockout', () => {
    let now = 0;
    const throttle = new LoginThrottle({ maxFailuresPerAccount: 3, maxFailuresPerAddress: 100, windowSeconds: 60, lockoutSeconds: 300, now: () => now });
    expect(throttle.recordFailure('Rad', '10.0.0.1')).toBe(false);
    expect(throttle.recordFailure('rad', '10.0.0.2')).toBe(false);
    expect(throttle.retryAfter('rad', '10.0.0.3')).toBe(0);
    expect(throttle.recordFailure('RAD', '10.0.0.3')).toBe(true);
    expect(throttle.retryAfter('rad', '10.0.0.9')).toBe(300);
    now += 299_000;
    expect(throttle.retryAfter('rad', '10.0.0.9')).toBe(1);
    now += 1_000;
    expect(throttle.retryAfter('rad', '10.0.0.9')).toBe(0);
  });

  it('locks an address that tries many accounts', () => {
    const now = 0;
    const throttle = new LoginThrottle({ maxFailuresPerAccount: 100, maxFailuresPerAddress: 5, windowSeconds: 60, lockoutSeconds: 60, now: () => now });
    for (let i = 0; i < 4; i++) expect(throttle.recordFailure(`user${i}`, '10.0.0.1')).toBe(false);
    expect(throttle.recordFailure('user4', '10.0.0.1')).toBe(true);
    expect(throttle.retryAfter('someone-else', '10.0.0.1')).toBe(60);
    expect(throttle.retryAfter('someone-else', '10.0.0.2')).toBe(0);
  });

  it('forgets failures outside the window and after a success', () => {
    let now = 0;
    const throttle = new LoginThrottle({ maxFailuresPerAccount: 2, maxFailuresPerAddress: 100, windowSeconds: 60, lockoutSeconds: 60, now: () => now });
    throttle.recordFailure('rad', 'a');
    now += 61_000;
    expect(throttle.recordFailure('rad', 'a')).toBe(false);
    throttle.recordSuccess('rad');
    expect(throttle.recordFailure('rad', 'a')).toBe(false);
  });
});
