import { describe, expect, it } from 'vitest';
import type { OrthancChanges } from '../orthanc/orthanc-client.ts';
import { StudyRevisions, type StudyRevisionSource } from './study-revisions.ts';

/**
 * Orthanc as the watch sees it: a clock to the second, studies with their instances and LastUpdate,
 * and a changes feed that, like Orthanc's, loses a deleted resource's changes and logs none for
 * the deletion.
 */
class FakeOrthanc implements StudyRevisionSource {
  clock = '20261128T100000';
  readonly studies = new Map<string, { uid: string; lastUpdate: string; instances: Set<string> }>();
  feed: Array<{ seq: number; changeType: string; resourceType: string; id: string }> = [];
  seq = 0;
  failing = false;
  /** Every request, by name. */
  asked: string[] = [];
  found: string[][] = [];
  /** While set, the feed's answer (taken when asked) is held back until it resolves. */
  hold: Promise<void> | undefined;

  store(studyId: string, instanceId: string): void {
    const study = this.studies.get(studyId) as { lastUpdate: string; instances: Set<string> };
    study.instances.add(instanceId);
    study.lastUpdate = this.clock;
    this.feed.push({ seq: ++this.seq, changeType: 'NewInstance', resourceType: 'Instance', id: instanceId });
  }

  deleteInstance(studyId: string, instanceId: string): void {
    const study = this.studies.get(studyId) as { lastUpdate: string; instances: Set<string> };
    study.instances.delete(instanceId);
    study.lastUpdate = this.clock;
    this.feed = this.feed.filter((change) => change.id !== instanceId);
  }

  #call(name: string): void {
    this.asked.push(name);
    if (this.failing) throw new Error('connection refused');
  }

  async instanceCount(): Promise<number> {
    this.#call('statistics');
    return [...this.studies.values()].reduce((sum, study) => sum + study.instances.size, 0);
  }

  async changes(since: number, limit: number): Promise<OrthancChanges> {
    this.#call('changes');
    const after = this.feed.filter((change) => change.seq > since).slice(0, limit);
    // As Orthanc: with nothing left after `since`, Last is the newest sequence number ever given.
    const answer = { changes: after, done: after.length < limit, last: after.at(-1)?.seq ?? Math.max(since, this.seq) };
    await this.hold;
    return answer;
  }

  async lastChange(): Promise<number> {
    this.#call('changes?last');
    return this.feed.at(-1)?.seq ?? 0;
  }

  async studiesOf(resourceIds: readonly string[]): Promise<string[]> {
    this.#call('bulk-content');
    return [...this.studies].filter(([id, study]) => resourceIds.some((resource) => resource === id || study.instances.has(resource))).map(([id]) => id);
  }

  async now(): Promise<string> {
    this.#call('now');
    return this.clock;
  }

  /** Answers of /tools/find are cut to this many studies (Orthanc's LimitFindResults). */
  findLimit = Infinity;

  async studyLastUpdates(uids: readonly string[]): Promise<Map<string, string>> {
    this.#call('find');
    this.found.push([...uids]);
    const found = new Map<string, string>();
    for (const [id, study] of this.studies) if (uids.includes(study.uid) && found.size < this.findLimit) found.set(id, study.lastUpdate);
    return found;
  }

  async study(orthancId: string): Promise<object | undefined> {
    this.#call('study');
    return this.studies.get(orthancId);
  }
}

function setup() {
  const orthanc = new FakeOrthanc();
  orthanc.studies.set('a', { uid: '1.2.1', lastUpdate: '20261128T095000', instances: new Set(['a1']) });
  orthanc.studies.set('b', { uid: '1.2.2', lastUpdate: '20261128T095000', instances: new Set(['b1']) });
  let time = 0;
  const revisions = new StudyRevisions({ source: orthanc, pollIntervalMs: 1000, maxStudies: 3, idleMs: 60_000, now: () => time });
  return { orthanc, revisions, advance: (ms: number) => (time += ms) };
}

/** Both studies watched, the feed followed, and every look since without a change. */
async function settled() {
  const context = setup();
  const { orthanc, revisions, advance } = context;
  revisions.revisionOf('a', '1.2.1');
  revisions.revisionOf('b', '1.2.2');
  await revisions.caughtUp();
  orthanc.clock = '20261128T100001';
  advance(100);
  await revisions.caughtUp();
  advance(100);
  await revisions.caughtUp();
  orthanc.asked = [];
  return context;
}

const deferred = () => {
  let release = () => undefined as void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
};

describe('StudyRevisions', () => {
  it('keeps a revision while nothing changes, asking Orthanc only for its count and its feed', async () => {
    const { orthanc, revisions, advance } = await settled();
    const first = revisions.revisionOf('a', '1.2.1');
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    for (let look = 0; look < 3; look++) {
      advance(100);
      await revisions.caughtUp();
    }
    expect(revisions.revisionOf('a', '1.2.1')).toBe(first);
    expect(orthanc.asked).toEqual(['statistics', 'changes', 'statistics', 'changes', 'statistics', 'changes']);
  });

  it('gives a study a new revision at the first look after an instance of it was stored, and no other study', async () => {
    const { orthanc, revisions, advance } = await settled();
    const before = revisions.revisionOf('a', '1.2.1');
    const other = revisions.revisionOf('b', '1.2.2');
    orthanc.store('a', 'a2');
    advance(100);
    await revisions.caughtUp();
    expect(revisions.revisionOf('a', '1.2.1')).not.toBe(before);
    expect(revisions.revisionOf('b', '1.2.2'), 'another study keeps its revision').toBe(other);
  });

  it('a request waits for a look that started after it arrived: a look under way does not count for it', async () => {
    const { orthanc, revisions, advance } = await settled();
    const hold = deferred();
    orthanc.hold = hold.promise;
    // A arrives: a look starts and reads the feed, whose answer is held back.
    const a = revisions.caughtUp();
    await new Promise((resolve) => setImmediate(resolve));
    expect(orthanc.asked).toEqual(['statistics', 'changes']);
    // An instance is stored after that look read the feed; then B and C arrive.
    orthanc.store('a', 'a2');
    advance(10);
    let bDone = false;
    const b = revisions.caughtUp().then(() => (bDone = true));
    const c = revisions.caughtUp();
    orthanc.hold = undefined;
    hold.release();
    await a;
    const forA = revisions.revisionOf('a', '1.2.1');
    expect(bDone, 'B does not take the look that started before it arrived').toBe(false);
    await b;
    await c;
    expect(revisions.revisionOf('a', '1.2.1'), 'B’s revision follows the instance stored before it arrived').not.toBe(forA);
    // B and C shared one look: two in all since A arrived.
    expect(orthanc.asked.filter((name) => name === 'statistics')).toHaveLength(2);
    expect(revisions.looksStarted).toBe(5);
  });

  it('requests arriving while a look runs share the next one', async () => {
    const { orthanc, revisions } = await settled();
    const started = revisions.looksStarted;
    // The first starts a look; the four after it arrived once it had started and share one more.
    await Promise.all([1, 2, 3, 4, 5].map(() => revisions.caughtUp()));
    expect(revisions.looksStarted - started).toBe(2);
    expect(orthanc.asked.filter((name) => name === 'changes')).toHaveLength(2);
    await revisions.caughtUp();
    expect(revisions.looksStarted - started, 'a request after them gets a look of its own').toBe(3);
  });

  it('sees a deleted instance, which the feed does not show, by the count and LastUpdate', async () => {
    const { orthanc, revisions, advance } = await settled();
    const before = revisions.revisionOf('a', '1.2.1');
    const other = revisions.revisionOf('b', '1.2.2');
    orthanc.clock = '20261128T100005';
    orthanc.deleteInstance('a', 'a1');
    advance(100);
    await revisions.caughtUp();
    expect(orthanc.asked).toEqual(['statistics', 'changes', 'now', 'find']);
    expect(revisions.revisionOf('a', '1.2.1')).not.toBe(before);
    expect(revisions.revisionOf('b', '1.2.2')).toBe(other);
  });

  it('sees a deletion that a store in another study hid from the count, by that store in the feed', async () => {
    const { orthanc, revisions, advance } = await settled();
    const before = revisions.revisionOf('a', '1.2.1');
    orthanc.clock = '20261128T100005';
    orthanc.deleteInstance('a', 'a1');
    orthanc.store('b', 'b2');
    advance(100);
    await revisions.caughtUp();
    expect(revisions.revisionOf('a', '1.2.1')).not.toBe(before);
  });

  it('sees an instance stored and deleted again between two looks (an answer fetched meanwhile may hold it) by the hole it leaves in the feed', async () => {
    const { orthanc, revisions, advance } = await settled();
    const before = revisions.revisionOf('a', '1.2.1');
    orthanc.clock = '20261128T100005';
    orthanc.store('a', 'a2');
    orthanc.clock = '20261128T100006';
    orthanc.deleteInstance('a', 'a2');
    advance(100);
    await revisions.caughtUp();
    // The count is as it was and the feed shows no change; its numbers do not add up.
    expect(orthanc.asked).toEqual(['statistics', 'changes', 'now', 'find']);
    expect(revisions.revisionOf('a', '1.2.1')).not.toBe(before);
  });

  it('forgets a study Orthanc no longer holds, and calls it gone until the feed shows it again', async () => {
    const { orthanc, revisions, advance } = await settled();
    const before = revisions.revisionOf('a', '1.2.1');
    expect(revisions.isGone('a')).toBe(false);
    const deleted = orthanc.studies.get('a') as { uid: string; lastUpdate: string; instances: Set<string> };
    orthanc.studies.delete('a');
    advance(100);
    await revisions.caughtUp();
    expect(revisions.activeStudies).toBe(1);
    expect(revisions.isGone('a'), 'the first look after the deletion').toBe(true);
    expect(revisions.isGone('b')).toBe(false);
    // Still gone at the next looks (nothing changed), whichever studies are watched.
    advance(100);
    await revisions.caughtUp();
    expect(revisions.isGone('a')).toBe(true);
    // Sent again: its changes are in the feed, and it is a study like any other.
    orthanc.studies.set('a', { ...deleted, instances: new Set() });
    orthanc.store('a', 'a9');
    advance(100);
    await revisions.caughtUp();
    expect(revisions.isGone('a')).toBe(false);
    expect(revisions.revisionOf('a', '1.2.1')).not.toBe(before);
  });

  it('calls a study gone only when Orthanc answers 404 for it, not when a limited find left it out', async () => {
    const { orthanc, revisions, advance } = await settled();
    const before = revisions.revisionOf('b', '1.2.2');
    orthanc.findLimit = 1;
    orthanc.store('a', 'a2');
    advance(100);
    await revisions.caughtUp();
    expect(orthanc.asked.filter((name) => name === 'study')).toEqual(['study']);
    expect(revisions.isGone('b')).toBe(false);
    expect(revisions.activeStudies).toBe(2);
    expect(revisions.revisionOf('b', '1.2.2'), 'unchecked this time: renewed').not.toBe(before);
  });

  it('calls a deleted study gone for ten minutes at most (the registry has dropped it by then)', async () => {
    const { orthanc, revisions, advance } = await settled();
    orthanc.studies.delete('a');
    advance(100);
    await revisions.caughtUp();
    expect(revisions.isGone('a')).toBe(true);
    advance(10 * 60_000 + 1);
    expect(revisions.isGone('a')).toBe(false);
  });

  it('hands out no revision while Orthanc cannot be asked, and again once it can', async () => {
    const { orthanc, revisions, advance } = await settled();
    expect(revisions.revisionOf('a', '1.2.1')).toBeDefined();
    orthanc.failing = true;
    await expect(revisions.caughtUp()).rejects.toThrow('connection refused');
    advance(1000);
    await expect(revisions.poll()).rejects.toThrow('connection refused');
    advance(1000);
    expect(revisions.revisionOf('a', '1.2.1')).toBeUndefined();
    orthanc.failing = false;
    await revisions.caughtUp();
    expect(revisions.revisionOf('a', '1.2.1')).toBeDefined();
  });

  it('asks Orthanc nothing while no study is watched, and renews what was handed out before it followed the feed', async () => {
    const { orthanc, revisions, advance } = setup();
    await revisions.caughtUp();
    expect(orthanc.asked, 'nothing active: Orthanc is not asked').toEqual([]);
    const handedOut = revisions.revisionOf('a', '1.2.1');
    advance(100);
    await revisions.caughtUp();
    expect(revisions.revisionOf('a', '1.2.1'), 'a change before the feed was followed could be missed').not.toBe(handedOut);
  });

  it('watches a bounded set of studies and asks Orthanc about those only', async () => {
    const { orthanc, revisions, advance } = setup();
    for (const n of [1, 2, 3, 4, 5]) revisions.revisionOf(`s${n}`, `1.3.${n}`);
    expect(revisions.activeStudies).toBe(3);
    advance(100);
    await revisions.caughtUp();
    expect(orthanc.found.at(-1)).toEqual(['1.3.3', '1.3.4', '1.3.5']);
  });
});
