import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../sync/registry-sync.ts';
import { registrySyncReport } from './readiness.ts';

const base: SyncStatus = { leader: true, lastSeq: 40, orthancLastSeq: 40, behind: 0, lastError: null, consecutiveFailures: 0, lastSuccessAt: '2026-01-01T00:00:00.000Z' };

describe('the registry sync in readiness', () => {
  it('is ok when the registry has applied every change Orthanc holds', () => {
    expect(registrySyncReport(base)).toEqual({ status: 'ok', behind: 0, lastSeq: 40 });
  });

  it('says how many changes it is behind, and that it retries after a failure', () => {
    expect(registrySyncReport({ ...base, lastSeq: 30, behind: 10 })).toMatchObject({ status: 'behind', behind: 10, reason: 'registry sync behind by 10 changes' });
    expect(registrySyncReport({ ...base, lastSeq: 30, behind: 10, lastError: 'cannot reach Orthanc', consecutiveFailures: 3 })).toMatchObject({
      status: 'behind',
      reason: 'registry sync behind by 10 changes (the last attempt failed; retrying with backoff)',
    });
  });

  it('tells a gate on standby (another holds the lease) from one that has not started', () => {
    expect(registrySyncReport({ ...base, leader: false })).toMatchObject({ status: 'standby' });
    expect(registrySyncReport({ ...base, leader: false, lastSeq: null, lastSuccessAt: null })).toMatchObject({ status: 'behind', reason: 'registry sync starting' });
  });
});
