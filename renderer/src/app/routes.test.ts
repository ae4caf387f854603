import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash } from './routes.ts';

describe('hash routes', () => {
  it('opens a study by its UID and falls back to the worklist', () => {
    expect(parseRoute('#/studies/1.2.840.113619.2.55')).toEqual({ name: 'study', studyInstanceUid: '1.2.840.113619.2.55' });
    expect(parseRoute('#/studies/1.2.3/')).toEqual({ name: 'study', studyInstanceUid: '1.2.3' });
    expect(parseRoute('#/studies/<script>')).toEqual({ name: 'worklist' });
    expect(parseRoute('')).toEqual({ name: 'worklist' });
    expect(routeHash({ name: 'study', studyInstanceUid: '1.2.3' })).toBe('#/studies/1.2.3');
  });
});
