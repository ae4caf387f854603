/**
 * Failed-login throttling per account and per client address, with a temporary lockout. Kept in
 * the gate's memory: one gate process per site is the supported deployment; a restart clears it.
 */
export interface LoginThrottleOptions {
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
  lockoutSeconds: number;
  now?: () => number;
}

interface Counter {
  failures: number[];
  lockedUntil: number;
}

export class LoginThrottle {
  readonly #options: Required<LoginThrottleOptions>;
  readonly #accounts = new Map<string, Counter>();
  readonly #addresses = new Map<string, Counter>();

  constructor(options: LoginThrottleOptions) {
    this.#options = { now: Date.now, ...options };
  }

  /** Seconds until the account or address may try again, or 0 when it may try now. */
  retryAfter(username: string, address: string): number {
    const now = this.#options.now();
    const until = Math.max(this.#lockedUntil(this.#accounts, username.toLowerCase(), now), this.#lockedUntil(this.#addresses, address, now));
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  /** Records a failure; returns true when it locked the account or address. */
  recordFailure(username: string, address: string): boolean {
    const a = this.#record(this.#accounts, username.toLowerCase(), this.#options.maxFailuresPerAccount);
    const b = this.#record(this.#addresses, address, this.#options.maxFailuresPerAddress);
    return a || b;
  }

  recordSuccess(username: string): void {
    this.#accounts.delete(username.toLowerCase());
  }

  #lockedUntil(map: Map<string, Counter>, key: string, now: number): number {
    const counter = map.get(key);
    if (!counter) return 0;
    if (counter.lockedUntil <= now && counter.failures.every((t) => t <= now - this.#options.windowSeconds * 1000)) {
      map.delete(key);
      return 0;
    }
    return counter.lockedUntil;
  }

  #record(map: Map<string, Counter>, key: string, max: number): boolean {
    const now = this.#options.now();
    const counter = map.get(key) ?? { failures: [], lockedUntil: 0 };
    counter.failures = counter.failures.filter((t) => t > now - this.#options.windowSeconds * 1000);
    counter.failures.push(now);
    map.set(key, counter);
    if (counter.failures.length >= max) {
      counter.lockedUntil = now + this.#options.lockoutSeconds * 1000;
      counter.failures = [];
      return true;
    }
    return false;
  }
}
