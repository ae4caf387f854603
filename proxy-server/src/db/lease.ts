import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * A lease on one row, so that one gate at a time does a job when several share the database (the
 * registry sync, the audit forwarder). The row holds `lease_owner` and `lease_expires_at`; a lease
 * not renewed in time expires, and another gate takes the job over. The work the lease guards is
 * written in transactions that check the lease first (`assertHeld`), and positions are saved only
 * `where lease_owner = <owner>`, so a gate that lost its lease cannot move them.
 */

/** Tables that carry a lease, and the column that names their row. */
const LEASE_TABLES = { registry_sync: 'source', audit_forwarding: 'sink' } as const;
export type LeaseTable = keyof typeof LEASE_TABLES;

export class LeaseLost extends Error {}

export interface RowLeaseOptions<T extends LeaseTable> {
  table: T;
  /** The row's key (its `source` or `sink`). */
  key: string;
  owner: string;
  /** How long a lease lasts without renewal. */
  leaseMs: number;
  /** The row as first inserted when it does not exist yet (the key and lease columns are added). */
  initial: Record<string, string | number | null>;
  /** What LeaseLost says. */
  lostMessage: string;
  now?: () => Date;
}

export class RowLease<T extends LeaseTable> {
  readonly #table: T;
  readonly #keyColumn: string;
  readonly #key: string;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #initial: Record<string, string | number | null>;
  readonly #lostMessage: string;
  readonly #now: () => Date;

  constructor(options: RowLeaseOptions<T>) {
    this.#table = options.table;
    this.#keyColumn = LEASE_TABLES[options.table];
    this.#key = options.key;
    this.#owner = options.owner;
    this.#leaseMs = options.leaseMs;
    this.#initial = options.initial;
    this.#lostMessage = options.lostMessage;
    this.#now = options.now ?? (() => new Date());
  }

  get owner(): string {
    return this.#owner;
  }

  get leaseMs(): number {
    return this.#leaseMs;
  }

  /** Takes the lease if free or expired, renews it if ours; false when another gate holds it. */
  async acquire(db: Kysely<Database>): Promise<boolean> {
    const now = this.#now();
    // A lease with more than half its time left is not written again: fewer writes on a database
    // other processes write to as well.
    const held = await this.#row(db);
    if (held?.lease_owner === this.#owner && held.lease_expires_at !== null && Date.parse(held.lease_expires_at) - now.getTime() > this.#leaseMs / 2) {
      return true;
    }
    const expires = new Date(now.getTime() + this.#leaseMs).toISOString();
    return db.transaction().execute(async (trx) => {
      const initial = { ...this.#initial, [this.#keyColumn]: this.#key };
      const columns = Object.keys(initial);
      await sql`insert into ${sql.table(this.#table)} (${sql.join(columns.map((column) => sql.ref(column)))}) values (${sql.join(columns.map((column) => initial[column]))}) on conflict (${sql.ref(this.#keyColumn)}) do nothing`.execute(trx);
      const result = await sql`update ${sql.table(this.#table)} set lease_owner = ${this.#owner}, lease_expires_at = ${expires}
        where ${sql.ref(this.#keyColumn)} = ${this.#key} and (lease_owner = ${this.#owner} or lease_owner is null or lease_expires_at < ${now.toISOString()})`.execute(trx);
      return Number(result.numAffectedRows ?? 0) === 1;
    });
  }

  /** Throws LeaseLost unless this process holds the lease (inside the transaction that does the work). */
  async assertHeld(trx: Kysely<Database>): Promise<void> {
    const row = await this.#row(trx);
    if (row === undefined || row.lease_owner !== this.#owner) throw new LeaseLost(this.#lostMessage);
  }

  /** Gives the lease back, so another gate can take over at once. */
  async release(db: Kysely<Database>): Promise<void> {
    await sql`update ${sql.table(this.#table)} set lease_owner = null, lease_expires_at = null where ${sql.ref(this.#keyColumn)} = ${this.#key} and lease_owner = ${this.#owner}`.execute(db);
  }

  async #row(db: Kysely<Database>): Promise<{ lease_owner: string | null; lease_expires_at: string | null } | undefined> {
    const { rows } = await sql<{ lease_owner: string | null; lease_expires_at: string | null }>`select lease_owner, lease_expires_at from ${sql.table(this.#table)} where ${sql.ref(this.#keyColumn)} = ${this.#key}`.execute(db);
    return rows[0];
  }
}
