import { describe, expect, it } from 'vitest';
import { anonMiB, rssMiB, sampleRss } from './proc.ts';

describe('/proc memory figures', () => {
  it('splits the resident set: the anonymous part is positive and below the whole', () => {
    const rss = rssMiB(process.pid);
    const anon = anonMiB(process.pid);
    expect(anon).toBeGreaterThan(0);
    expect(anon).toBeLessThan(rss);
  });

  it('samples both figures', () => {
    const [sample] = sampleRss(process.pid, 1000).stop();
    expect(sample?.rssMiB).toBeGreaterThan(0);
    expect(sample?.anonMiB).toBeGreaterThan(0);
    expect(sample?.anonMiB).toBeLessThanOrEqual(sample?.rssMiB ?? 0);
  });

  it('throws for a process that is not running', () => {
    expect(() => anonMiB(2 ** 22 + 1)).toThrow();
  });
});
