import { describe, expect, it } from 'vitest';
import { StudyRevisions, type StudyRevisionSource } from './study-revisions.ts';

/** Orthanc as the watch sees it: a clock to the second and each study's LastUpdate. */
class FakeOrthanc implements StudyRevisionSource {
  clock = '20261128T100000';
  readonly studies = new Map<string, { uid: string; lastUpdate: string }>();
  failing = false;
  asked: string[][] = [];

  async now(): Promise<string> {
    if (this.failing) throw new Error('connection refused');
    return this.clock;
  }

  async studyLastUpdates(uids: readonly string[]): Promise<Map<string, string>> {
    if (this.failing) throw new Error('connection refused');
    this.asked.push([...uids]);
    const found = new Map<string, string>();
    for (const [id, study] of this.studies) if (uids.includes(study.uid)) found.set(id, study.lastUpdate);
    return found;
  }
}

function setup() {
  const orthanc = new FakeOrthanc();
  orthanc.studies.set('a', { uid: '1.2.1', lastUpdate: '20261128T095000' });
  orthanc.studies.set('b', { uid: '1.2.2', lastUpdate: '20261128T095000' });
  let time = 0;
  const revisions = new StudyRevisions({ source: orthanc, pollIntervalMs: 1000, maxStudies: 3, idleMs: 60_000, now: () => time });
  return { orthanc, revisions, advance: (ms: number) => (time += ms) };
}

describe('StudyRevisions', () => {
  it('keeps a revision while the study is unchanged in Orthanc', async () => {
    const { orthanc, revisions, advance } = setup();
    revisions.revisionOf('a', '1.2.1');
    await revisions.poll();
    const first = revisions.revisionOf('a', '1.2.1');
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    orthanc.clock = '20261128T100001';
    advance(1000);
    await revisions.poll();
    advance(1000);
    orthanc.clock = '20261128T100002';
    await revisions.poll();
    expect(revisions.revisionOf('a', '1.2.1')).toBe(first);
  });

  it('gives a new revision when LastUpdate moves (an instance stored or deleted)', async () => {
    const { orthanc, revisions, advance } = setup();
    revisions.revisionOf('a', '1.2.1');
    revisions.revisionOf('b', '1.2.2');
    // The first look at Orthanc's clock: everything seen before it gets a new revision.
    await revisions.poll();
    const before = revisions.revisionOf('a', '1.2.1');
    const other = revisions.revisionOf('b', '1.2.2');
    advance(1000);
    await revisions.poll();
    expect(revisions.revisionOf('a', '1.2.1')).toBe(before);
    (orthanc.studies.get('a') as { lastUpdate: string }).lastUpdate = '20261128T095959';
    advance(1000);
    await revisions.poll();
    const after = revisions.revisionOf('a', '1.2.1');
    expect(after).not.toBe(before);
    expect(revisions.revisionOf('b', '1.2.2'), 'another study keeps its revision').toBe(other);
  });

  it('renews the revision again while the second of the last change was not over at the previous look', async () => {
    const { orthanc, revisions, advance } = setup();
    await revisions.poll();
    const study = orthanc.studies.get('a') as { lastUpdate: string };
    study.lastUpdate = '20261128T100000';
    revisions.revisionOf('a', '1.2.1');
    advance(1000);
    await revisions.poll();
    const seen = revisions.revisionOf('a', '1.2.1');
    // Another instance stored later in the same second leaves LastUpdate as it was.
    advance(1000);
    await revisions.poll();
    const again = revisions.revisionOf('a', '1.2.1');
    expect(again, 'a change later in that second cannot be told apart: new revision').not.toBe(seen);
    orthanc.clock = '20261128T100005';
    advance(1000);
    await revisions.poll();
    const settled = revisions.revisionOf('a', '1.2.1');
    advance(1000);
    await revisions.poll();
    expect(revisions.revisionOf('a', '1.2.1'), 'once that second is over the revision holds').toBe(settled);
  });

  it('forgets a study Orthanc no longer holds: the next request gets a revision never used', async () => {
    const { orthanc, revisions, advance } = setup();
    await revisions.poll();
    const before = revisions.revisionOf('a', '1.2.1');
    orthanc.studies.delete('a');
    advance(1000);
    await revisions.poll();
    expect(revisions.activeStudies).toBe(0);
    expect(revisions.revisionOf('a', '1.2.1')).not.toBe(before);
  });

  it('hands out no revision while Orthanc cannot be asked, and again once it can', async () => {
    const { orthanc, revisions, advance } = setup();
    await revisions.poll();
    expect(revisions.revisionOf('a', '1.2.1')).toBeDefined();
    orthanc.failing = true;
    advance(1000);
    await expect(revisions.poll()).rejects.toThrow('connection refused');
    advance(1000);
    await expect(revisions.poll()).rejects.toThrow('connection refused');
    expect(revisions.revisionOf('a', '1.2.1')).toBeUndefined();
    orthanc.failing = false;
    await revisions.poll();
    expect(revisions.revisionOf('a', '1.2.1')).toBeDefined();
  });

  it('watches a bounded set of studies and asks Orthanc about those only', async () => {
    const { orthanc, revisions, advance } = setup();
    await revisions.poll();
    expect(orthanc.asked, 'nothing active: Orthanc is not asked').toEqual([]);
    for (const n of [1, 2, 3, 4, 5]) revisions.revisionOf(`s${n}`, `1.3.${n}`);
    expect(revisions.activeStudies).toBe(3);
    advance(1000);
    await revisions.poll();
    expect(orthanc.asked.at(-1)).toEqual(['1.3.3', '1.3.4', '1.3.5']);
  });
});
