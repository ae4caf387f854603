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

  it('does not tell the page about a session on another server; it reloads the page for that server', async () => {
    let reloads = 0;
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    const pageServer = trackPageServer({ getServerSettings: async () => ({ serverUrl: 'https://other.example', editable: true }) }, null, () => (reloads += 1));
    const session = (serverUrl: string) => ({ user: { id: 1, username: 'rad.chen', displayName: 'Dr Chen', role: 'radiologist' as const }, serverUrl, accessTokenExpiresAt: '2026-11-28T12:00:00.000Z' });

    // First start: the page was loaded with no server; the login's session names one.
    expect(pageServer.deliversSession(session('https://other.example'))).toBe(false);
    expect(pageServer.current()).toBe('https://other.example');
    await settle();
    expect(reloads).toBe(1);

    // The reloaded page's CSP names it: the same session is delivered, and the login's own check
    // does not reload a second time.
    expect(pageServer.deliversSession(session('https://other.example'))).toBe(true);
    expect(pageServer.deliversSession(null)).toBe(true);
    pageServer.serverMayHaveChanged();
    for (let round = 0; round < 3; round += 1) await settle();
    expect(reloads).toBe(1);
  });
});
