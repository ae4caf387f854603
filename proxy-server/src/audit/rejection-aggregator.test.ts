import { describe, expect, it } from 'vitest';
import { AuditUnavailableError, type AuditEvent } from './audit-events.ts';
import { RejectionAggregator } from './rejection-aggregator.ts';

function recorder() {
  const rows: AuditEvent[] = [];
  let failing = false;
  return {
    rows,
    fail: (value: boolean) => (failing = value),
    appender: {
      async append(event: AuditEvent) {
        if (failing) throw new AuditUnavailableError('store down');
        rows.push(event);
        return rows.length;
      },
    },
  };
}

const rejection = (clientIp: string): AuditEvent => ({ action: 'TOKEN_REJECTED', result: 'denied', clientIp, reason: 'TOKEN_MISSING: no bearer token' });

describe('RejectionAggregator', () => {
  it('writes the first rejection of a kind from an address at once and one counted row for the rest of the interval', async () => {
    let now = 0;
    const store = recorder();
    const aggregator = new RejectionAggregator(store.appender, { intervalMs: 60_000, now: () => now });
    for (let i = 0; i < 50; i++) await aggregator.record('TOKEN_REJECTED:TOKEN_MISSING', rejection('10.0.0.1'));
    await aggregator.record('TOKEN_REJECTED:TOKEN_MISSING', rejection('10.0.0.2'));
    await aggregator.record('TOKEN_REJECTED:TOKEN_INVALID', rejection('10.0.0.1'));
    expect(store.rows).toHaveLength(3);
    now = 30_000;
    await aggregator.flush();
    expect(store.rows).toHaveLength(3);
    now = 60_000;
    await aggregator.flush();
    expect(store.rows).toHaveLength(4);
    expect(store.rows[3]).toMatchObject({ action: 'TOKEN_REJECTED', clientIp: '10.0.0.1', reason: 'TOKEN_REJECTED:TOKEN_MISSING: 49 more from this address in 60 s (aggregated)' });
    // A new interval starts with a row of its own.
    await aggregator.record('TOKEN_REJECTED:TOKEN_MISSING', rejection('10.0.0.1'));
    expect(store.rows).toHaveLength(5);
    await aggregator.close();
  });

  it('fails like the store for the row it writes at once, and keeps a count it could not write', async () => {
    let now = 0;
    const store = recorder();
    const aggregator = new RejectionAggregator(store.appender, { now: () => now });
    store.fail(true);
    await expect(aggregator.record('k', rejection('10.0.0.1'))).rejects.toBeInstanceOf(AuditUnavailableError);
    store.fail(false);
    await aggregator.record('k', rejection('10.0.0.1'));
    await aggregator.record('k', rejection('10.0.0.1'));
    store.fail(true);
    now = 61_000;
    await expect(aggregator.flush()).rejects.toBeInstanceOf(AuditUnavailableError);
    store.fail(false);
    await aggregator.close();
    expect(store.rows.map((row) => row.reason)).toEqual(['TOKEN_MISSING: no bearer token', 'k: 1 more from this address in 61 s (aggregated)']);
  });
});
