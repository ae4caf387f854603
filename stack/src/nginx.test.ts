import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stackLayout } from './layout.ts';
import { corsOriginMap, locateNginx, renderNginxConfiguration, type NginxSettings } from './nginx.ts';

function settings(overrides: Partial<NginxSettings> = {}): NginxSettings {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'rs-nginx-'));
  return {
    layout: stackLayout(stateDir),
    listenAddress: '127.0.0.1',
    httpPort: 18080,
    opsPort: 18081,
    gatePort: 13001,
    orthancPort: 18042,
    orthancBasicAuth: Buffer.from('nginx:secret').toString('base64'),
    rendererDist: path.join(stateDir, 'no-renderer'),
    corsOrigins: ['app://reading-station'],
    ...overrides,
  };
}

describe('nginx configuration', () => {
  it('renders every placeholder and passes `nginx -t`', () => {
    const s = settings();
    const text = renderNginxConfiguration(s);
    expect(text).not.toMatch(/\{\{/);
    for (const dir of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(s.layout.nginx.tmp, dir), { recursive: true });
    mkdirSync(s.layout.logs, { recursive: true });
    const file = path.join(s.layout.stateDir, 'nginx.conf');
    writeFileSync(file, text.replace(/^user .*$/m, ''));
    execFileSync(locateNginx(), ['-t', '-q', '-p', s.layout.stateDir, '-c', file, '-e', path.join(s.layout.logs, 'e.log')]);
  });

  it('keeps the internal location internal and the Orthanc credentials only there', () => {
    const text = renderNginxConfiguration(settings());
    const internal = /location \/internal-orthanc\/dicom-web\/ \{([\s\S]*?)\n {8}\}/.exec(text)?.[1] ?? '';
    expect(internal).toMatch(/^\s+internal;$/m);
    expect(internal).toContain('proxy_pass http://orthanc/dicom-web/;');
    expect(internal).toContain('proxy_buffering off;');
    expect(internal).toMatch(/proxy_ignore_headers X-Accel-Redirect/);
    expect(internal).toMatch(/if \(\$args ~ "\[\\x00-\\x20\\x7f\]"\)/);
    expect(text).toMatch(/location \/internal-orthanc\/ \{\s+internal;\s+return 404;/);
    // The Authorization header with Orthanc's credentials appears only in internal or ops-only locations.
    const credentialLines = text.split('\n').filter((line) => line.includes('bmdpbng6c2VjcmV0'));
    expect(credentialLines).toHaveLength(3);
  });

  it('caches only in the cached internal location, keyed by the internal URI the gate built', () => {
    const text = renderNginxConfiguration(settings({ cache: { maxSize: '5g', keysZone: '32m', inactive: '2h', valid: '12h' } }));
    expect(text).toMatch(/proxy_cache_path \S+\/nginx\/cache levels=1:2 keys_zone=rs_dicomweb:32m max_size=5g inactive=2h use_temp_path=off;/);
    const cached = /location ~ "\^\/internal-orthanc\/cached\/\[0-9a-f\]\{16\}\/dicom-web\/[^"]*" \{([\s\S]*?)\n {8}\}/.exec(text)?.[1] ?? '';
    expect(cached).toMatch(/^\s+internal;$/m);
    expect(cached).toContain('proxy_cache rs_dicomweb;');
    expect(cached).toContain('proxy_cache_key "$uri?$args|$http_accept";');
    expect(cached).toContain('proxy_cache_valid 200 12h;');
    expect(cached).toMatch(/proxy_ignore_headers X-Accel-Redirect .*Cache-Control Expires Vary;/);
    expect(cached).toMatch(/if \(\$args ~ "\[\\x00-\\x20\\x7f\]"\)/);
    // Nowhere else: the uncached location streams, and nothing outside the internal locations is cached.
    expect(text.match(/proxy_cache rs_dicomweb;/g)).toHaveLength(1);
    const uncached = /location \/internal-orthanc\/dicom-web\/ \{([\s\S]*?)\n {8}\}/.exec(text)?.[1] ?? '';
    expect(uncached).not.toContain('proxy_cache');
  });

  it('refuses a CORS origin nginx could read as syntax', () => {
    expect(corsOriginMap(['app://reading-station', 'http://localhost:5173'])).toContain('"app://reading-station" $http_origin;');
    expect(() => corsOriginMap(['app://x"; return 200; #'])).toThrow(/not of the form/);
  });

  it('tells Orthanc a fixed public host and scheme, never the client’s Host header', () => {
    const forwarded = (text: string) => /location \/internal-orthanc\/dicom-web\/ \{[\s\S]*?proxy_set_header Forwarded "([^"]*)";/.exec(text)?.[1];
    expect(forwarded(renderNginxConfiguration(settings()))).toBe('host=127.0.0.1:18080;proto=http');
    expect(forwarded(renderNginxConfiguration(settings({ publicBaseUrl: 'https://pacs.hospital.example' })))).toBe('host=pacs.hospital.example;proto=https');
    expect(renderNginxConfiguration(settings())).not.toMatch(/Forwarded "[^"]*\$http_host/);
  });
});
