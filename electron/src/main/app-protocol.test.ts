import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppRequestHandler, resolveRendererFile } from './app-protocol.ts';
import { isAppUrl } from './app-origin.ts';

const root = mkdtempSync(join(tmpdir(), 'rs-app-protocol-'));
const rendererDir = join(root, 'dist');
mkdirSync(join(rendererDir, 'assets'), { recursive: true });
writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Reading Station</title>');
writeFileSync(join(rendererDir, 'assets', 'app.js'), 'export {};');
writeFileSync(join(rendererDir, 'assets', 'decode.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
writeFileSync(join(root, 'secret.txt'), 'outside the renderer');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const handle = createAppRequestHandler({ rendererDir, contentSecurityPolicy: () => "default-src 'self'" });
const get = (url: string, method = 'GET') => handle(new Request(url, { method }));

describe('app protocol', () => {
  it('serves index.html at the root and files with their content types', async () => {
    const index = await get('app://reading-station/');
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>Reading Station</title>');
    const script = await get('app://reading-station/assets/app.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // WebAssembly.instantiateStreaming refuses anything but application/wasm.
    expect((await get('app://reading-station/assets/decode.wasm')).headers.get('content-type')).toBe('application/wasm');
  });

  it('falls back to index.html for client-side routes but not for missing assets', async () => {
    expect(await (await get('app://reading-station/worklist')).text()).toContain('Reading Station');
    expect((await get('app://reading-station/assets/missing.js')).status).toBe(404);
  });

  it.each([
    'app://reading-station/%2e%2e/secret.txt',
    'app://reading-station/assets/..%2f..%2fsecret.txt',
    'app://reading-station/..%5csecret.txt',
    'app://reading-station/assets%00/app.js',
    'app://other-host/index.html',
  ])('never serves outside the renderer directory or host: %s', async (url) => {
    const response = await get(url);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('outside the renderer');
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get('app://reading-station/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await get('app://reading-station/index.html', 'POST')).status).toBe(405);
  });

  it('keeps resolved paths inside the root', () => {
    expect(resolveRendererFile(rendererDir, 'app://reading-station/assets/app.js')?.candidates).toEqual([join(rendererDir, 'assets', 'app.js')]);
    expect(resolveRendererFile(rendererDir, 'app://reading-station/a/%2E%2E%2F%2E%2E%2Fsecret.txt')).toBeNull();
  });
});

describe('isAppUrl', () => {
  it('accepts only the exact app origin', () => {
    expect(isAppUrl('app://reading-station/index.html')).toBe(true);
    for (const url of ['app://reading-station.evil/', 'app://evil/', 'app://user@reading-station/', 'https://reading-station/', 'about:blank', '', null, undefined, 'not a url']) {
      expect(isAppUrl(url)).toBe(false);
    }
  });
});
