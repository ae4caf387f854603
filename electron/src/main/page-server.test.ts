import { describe, expect, it } from 'vitest';
import { trackPageServer } from './page-server.ts';

describe('trackPageServer', () => {
  it('reloads the page once the configured server differs from the one it was loaded for', async () => {
    let configured = 'https://pacs.example';
    let reloads = 0;
    // Each round of the event loop's check phase runs the microtasks before it: three rounds see
    // the settings answer, the reload it schedules with setImmediate, and nothing left over.
    const reloaded = async () => {
      for (let round = 0; round < 3; round += 1) await new Promise<void>((resolve) => setImmediate(resolve));
    };
    const pageServer = trackPageServer({ getServerSettings: async () => ({ serverUrl: configured, editable: true }) }, 'https://pacs.example', () => (reloads += 1));

    pageServer.serverMayHaveChanged();
    await reloaded();
    expect(reloads).toBe(0);
    expect(pageServer.current()).toBe('https://pacs.example');

    configured = 'https://other.example';
    pageServer.serverMayHaveChanged();
    await reloaded();
    expect(reloads).toBe(1);
    expect(pageServer.current()).toBe('https://other.example');

    // No server at all (never configured): the CSP names none.
    configured = '';
    pageServer.serverMayHaveChanged();
    await reloaded();
    expect(reloads).toBe(2);
    expect(pageServer.current()).toBeNull();
  });
});
