import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStackConfig } from './config.ts';
import { ensureTlsFiles, tlsServerDirectives } from './tls.ts';

const work = mkdtempSync(path.join(tmpdir(), 'rs-tls-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tls settings', () => {
  it('are off by default; RS_TLS=1 and RS_HTTPS_PORT turn HTTPS on', () => {
    expect(loadStackConfig({ env: {} }).tls).toEqual({ enabled: false, port: 8443 });
    expect(loadStackConfig({ env: { RS_TLS: '1', RS_HTTPS_PORT: '9443' } }).tls).toEqual({ enabled: true, port: 9443 });
    expect(loadStackConfig({ env: { RS_TLS: 'false' } }).tls.enabled).toBe(false);
  });

  it('refuses a certificate without its key, and an RS_TLS that is not a boolean', () => {
    expect(() => loadStackConfig({ env: { RS_TLS: '1', RS_TLS_CERTIFICATE: '/etc/ssl/cert.pem' } })).toThrow(/certificateFile and keyFile, or neither/);
    expect(() => loadStackConfig({ env: { RS_TLS: 'yes please' } })).toThrow(/tls\.enabled: expected true or false.*from RS_TLS/);
  });
});

describe('tlsServerDirectives', () => {
  it('is empty without TLS, else a TLS 1.2/1.3 listener with the files', () => {
    expect(tlsServerDirectives(undefined)).toBe('');
    const text = tlsServerDirectives({ listenAddress: '127.0.0.1', port: 8443, certificateFile: '/srv/tls/cert.pem', keyFile: '/srv/tls/key.pem' });
    expect(text).toContain('listen 127.0.0.1:8443 ssl;');
    expect(text).toContain('ssl_certificate /srv/tls/cert.pem;');
    expect(text).toContain('ssl_certificate_key /srv/tls/key.pem;');
    expect(text).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
  });

  it.each(['/srv/tls/a b.pem', '/srv/tls/x.pem; include /etc/passwd', 'relative.pem', '/srv/$var.pem'])('refuses a file name nginx would read as syntax: %s', (file) => {
    expect(() => tlsServerDirectives({ listenAddress: '127.0.0.1', port: 8443, certificateFile: file, keyFile: '/srv/tls/key.pem' })).toThrow(/expected an absolute path/);
  });
});

describe('ensureTlsFiles', () => {
  it('makes a self-signed certificate for the listen address and localhost once, with a private key only its owner reads', async () => {
    const first = await ensureTlsFiles({ stateDir: work, configured: {}, hosts: ['127.0.0.1', 'localhost'] });
    expect(first.selfSigned).toBe(true);
    expect(statSync(first.keyFile).mode & 0o077).toBe(0);
    const text = execFileSync('openssl', ['x509', '-in', first.certificateFile, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toMatch(/IP Address:127\.0\.0\.1, DNS:localhost/);
    expect(text).toMatch(/TLS Web Server Authentication/);
    const certificate = readFileSync(first.certificateFile, 'utf8');
    const again = await ensureTlsFiles({ stateDir: work, configured: {}, hosts: ['127.0.0.1', 'localhost'] });
    expect(readFileSync(again.certificateFile, 'utf8')).toBe(certificate);
  });

  it('uses configured files as they are, and names one that is missing', async () => {
    const own = await ensureTlsFiles({ stateDir: work, configured: {}, hosts: ['127.0.0.1'] });
    expect(await ensureTlsFiles({ stateDir: '/nonexistent', configured: own, hosts: [] })).toEqual({ ...own, selfSigned: false });
    await expect(ensureTlsFiles({ stateDir: work, configured: { certificateFile: '/nonexistent/cert.pem', keyFile: own.keyFile }, hosts: [] })).rejects.toThrow(
      /TLS file \/nonexistent\/cert\.pem does not exist/,
    );
  });
});
