import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeSearchExposure } from './dicomweb-routes.ts';

describe('describeSearchExposure (the audit row of a root study search)', () => {
  it('lists a few constrained StudyInstanceUIDs and the re-encoded query', () => {
    expect(describeSearchExposure({ studyUids: ['1.2.3', '1.2.4'], query: 'limit=10' })).toBe('studies (2): 1.2.3,1.2.4; query: limit=10');
    expect(describeSearchExposure({ studyUids: undefined, query: '' })).toBe('studies: all (not constrained); query: (none)');
  });

  it('records many UIDs, and a long query, as their count or length and SHA-256', () => {
    const uids = Array.from({ length: 300 }, (_, n) => `1.2.840.99.${n}`);
    const query = `PatientName=${'A'.repeat(300)}`;
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(describeSearchExposure({ studyUids: uids, query })).toBe(`studies: 300, sha256 ${sha(uids.join(','))}; query: ${query.length} characters, sha256 ${sha(query)}`);
  });
});
