import { describe, expect, it } from 'vitest';
import { areaOf, summariseCpuProfile } from './cpu-profile.ts';

describe('summariseCpuProfile', () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 5] },
      { id: 2, callFrame: frame('handler', 'file:///w/proxy-server/src/dicomweb/dicomweb-routes.ts'), children: [3] },
      { id: 3, callFrame: frame('executeQuery', 'file:///w/node_modules/kysely/dist/driver.js'), children: [] },
      { id: 5, callFrame: frame('(idle)', ''), children: [] },
    ],
    startTime: 0,
    endTime: 9000,
    samples: [3, 3, 2, 5],
    timeDeltas: [1000, 1000, 2000, 5000],
  };

  it('splits self time by area and function, without idle', () => {
    const summary = summariseCpuProfile(profile);
    expect(summary.totalMs).toBe(4);
    expect(summary.byArea).toEqual([
      { name: 'kysely', percent: 50, ms: 2 },
      { name: 'proxy-server', percent: 50, ms: 2 },
    ]);
    expect(summary.gateInclusive[0]).toMatchObject({ name: expect.stringContaining('handler'), percent: 100 });
  });

  it('keeps to a window before the end of the profile', () => {
    // Samples end at 1000, 2000, 4000 and 9000 µs; the window 8000–6500 µs before the end keeps the first two.
    const summary = summariseCpuProfile(profile, { window: { fromMicrosBeforeEnd: 8000, toMicrosBeforeEnd: 6500 } });
    expect(summary.byArea).toEqual([{ name: 'kysely', percent: 100, ms: 2 }]);
  });

  it('names areas after packages, the gate, Node and V8', () => {
    expect(areaOf('file:///w/node_modules/@fastify/ajv-compiler/x.js', 'f')).toBe('@fastify/ajv-compiler');
    expect(areaOf('node:internal/crypto/util', 'jobPromise')).toBe('node internals');
    expect(areaOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(areaOf('file:///w/proxy-server/src/app.ts', 'f')).toBe('proxy-server');
    expect(areaOf('file:///w/proxy-server/dist/app.js', 'f')).toBe('proxy-server');
  });
});
