import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSigningKey, SigningKeyError } from './signing-key.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'rs-key-'));
function pemFile(name: string, pem: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, pem);
  return file;
}

describe('loadSigningKey', () => {
  it('loads a P-256 key for ES256 and derives a stable key id', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const file = pemFile('es256.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const a = loadSigningKey({ algorithm: 'ES256', signingKeyFile: file });
    const b = loadSigningKey({ algorithm: 'ES256', signingKeyFile: file });
    expect(a.ephemeral).toBe(false);
    expect(a.keyId).toBe(b.keyId);
    expect(a.publicKey.asymmetricKeyType).toBe('ec');
  });

  it('refuses a key that cannot sign the configured algorithm', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const file = pemFile('ed.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => loadSigningKey({ algorithm: 'ES256', signingKeyFile: file })).toThrow(/holds a ed25519 key, which cannot sign ES256/);
  });

  it('names an unreadable or malformed key file', () => {
    expect(() => loadSigningKey({ algorithm: 'ES256', signingKeyFile: path.join(dir, 'missing.pem') })).toThrow(SigningKeyError);
    expect(() => loadSigningKey({ algorithm: 'ES256', signingKeyFile: pemFile('junk.pem', 'not a key') })).toThrow(/is not a PEM private key/);
  });

  it('makes a key at start when none is configured', () => {
    const key = loadSigningKey({ algorithm: 'EdDSA' });
    expect(key.ephemeral).toBe(true);
    expect(key.privateKey.asymmetricKeyType).toBe('ed25519');
  });
});
