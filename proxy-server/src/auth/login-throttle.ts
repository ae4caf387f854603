/**
 * Login throttling, per account and per client address (docs/security.md, "Login throttling").
 *
 * An attempt is counted when it is admitted — before the password is checked — and admission is
 * synchronous, so parallel requests cannot all pass the check and be counted afterwards; a correct
 * password refunds its attempt. The caller passes usernames in their canonical form
 * (`normalizeUsername`), so every spelling of a name shares one counter.
 *
 * - Account: `maxFailuresPerAccount` failures within `windowSeconds` lock the account, from every
 *   address, for `lockoutSeconds` — the right password included.
 * - Address: `maxFailuresPerAddress` failures within the window flag the address for
 *   `lockoutSeconds`. A flagged address does not lock anybody out by itself (a hospital's proxy or
 *   NAT is one address for everyone behind it); from it, each account may fail only
 *   `maxFailuresPerAccountFromFlaggedAddress` times in the window, then that account is refused from
 *   that address until the flag ends. Accounts that have not failed there log in as before.
 *
 * Kept in the gate's memory (one gate process per site); a restart clears it. Each table holds at
 * most `maxEntries` keys, the oldest dropped first, so a flood of names cannot exhaust memory.
 */
export interface LoginThrottleOptions {
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  maxFailuresPerAccountFromFlaggedAddress: number;
  windowSeconds: number;
  lockoutSeconds: number;
  maxEntries?: number;
  now?: () => number;
}

interface Counter {
  /** Times of counted attempts within the window (failed, or still being checked). */
  attempts: number[];
  /** Account and pair: locked until; address: flagged until. */
  until: number;
}

/** An admitted attempt: report its outcome with `succeeded` or `failed`. */
export interface LoginAttempt {
  readonly username: string;
  readonly address: string;
  readonly at: number;
  /** Whether counting this attempt locked the account or flagged the address. */
  readonly locked: { account: boolean; address: boolean; pair: boolean };
}

export type LoginAdmission = { admitted: true; attempt: LoginAttempt } | { admitted: false; retryAfterSeconds: number };

const DEFAULT_MAX_ENTRIES = 100_000;

export class LoginThrottle {
  readonly #options: Required<LoginThrottleOptions>;
  readonly #accounts = new Map<string, Counter>();
  readonly #addresses = new Map<string, Counter>();
  readonly #pairs = new Map<string, Counter>();

  constructor(options: LoginThrottleOptions) {
    this.#options = { now: Date.now, maxEntries: DEFAULT_MAX_ENTRIES, ...options };
  }

  /**
   * Admits and counts an attempt, or says how many seconds to wait. Counting happens here, before
   * the password is verified, so that a burst of parallel attempts is counted one by one.
   */
  admit(username: string, address: string): LoginAdmission {
    const now = this.#options.now();
    const account = this.#current(this.#accounts, username, now);
    const flagged = this.#current(this.#addresses, address, now);
    const pairKey = `${address}\n${username}`;
    const pair = this.#current(this.#pairs, pairKey, now);
    const waits = [account?.until ?? 0];
    if (flagged !== undefined && flagged.until > now) {
      // The pair's lock lasts as long as the address stays flagged.
      if ((pair?.attempts.length ?? 0) >= this.#options.maxFailuresPerAccountFromFlaggedAddress) waits.push(flagged.until);
    }
    const until = Math.max(...waits);
    if (until > now) return { admitted: false, retryAfterSeconds: Math.ceil((until - now) / 1000) };

    const locked = {
      account: this.#count(this.#accounts, username, now, this.#options.maxFailuresPerAccount),
      address: this.#count(this.#addresses, address, now, this.#options.maxFailuresPerAddress),
      pair: false,
    };
    this.#count(this.#pairs, pairKey, now, Number.POSITIVE_INFINITY);
    const flaggedNow = (this.#addresses.get(address)?.until ?? 0) > now;
    locked.pair = flaggedNow && (this.#pairs.get(pairKey)?.attempts.length ?? 0) >= this.#options.maxFailuresPerAccountFromFlaggedAddress;
    return { admitted: true, attempt: { username, address, at: now, locked } };
  }

  /** The password was right: the attempt is refunded and the account's failures forgotten. */
  succeeded(attempt: LoginAttempt): void {
    this.#accounts.delete(attempt.username);
    this.#pairs.delete(`${attempt.address}\n${attempt.username}`);
    const address = this.#addresses.get(attempt.address);
    if (address === undefined) return;
    if (attempt.locked.address) address.until = 0;
    else {
      const index = address.attempts.indexOf(attempt.at);
      if (index >= 0) address.attempts.splice(index, 1);
    }
  }

  /** The password was wrong: the attempt stays counted. True when it locked an account or flagged the address. */
  failed(attempt: LoginAttempt): boolean {
    return attempt.locked.account || attempt.locked.address || attempt.locked.pair;
  }

  /** The counter of `key`, with attempts outside the window dropped; undefined (and forgotten) when nothing is left. */
  #current(map: Map<string, Counter>, key: string, now: number): Counter | undefined {
    const counter = map.get(key);
    if (counter === undefined) return undefined;
    const since = now - this.#options.windowSeconds * 1000;
    counter.attempts = counter.attempts.filter((t) => t > since);
    if (counter.attempts.length === 0 && counter.until <= now) {
      map.delete(key);
      return undefined;
    }
    return counter;
  }

  /** Counts one attempt; true when it reached `max` and so set the counter's `until`. */
  #count(map: Map<string, Counter>, key: string, now: number, max: number): boolean {
    const counter = this.#current(map, key, now) ?? { attempts: [], until: 0 };
    counter.attempts.push(now);
    if (!map.has(key)) {
      if (map.size >= this.#options.maxEntries) {
        const oldest = map.keys().next();
        if (oldest.done !== true) map.delete(oldest.value);
      }
      map.set(key, counter);
    }
    if (counter.attempts.length >= max && counter.until <= now) {
      // Locked (or flagged) from now; the count starts again when that ends.
      counter.until = now + this.#options.lockoutSeconds * 1000;
      counter.attempts = [];
      return true;
    }
    return false;
  }
}
