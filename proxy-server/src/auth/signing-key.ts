import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AuthConfig } from '../config-schema.ts';
import type { AccessTokenAlgorithm } from './access-tokens.ts';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** `kid`: a digest of the public key, so verifiers can tell keys apart across rotations. */
  keyId: string;
  /** True when the key was made at start because none was configured. */
  ephemeral: boolean;
}

/** Raised when the configured key cannot be used; main prints it as one line. */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

function keyTypeFor(algorithm: AccessTokenAlgorithm): { type: string; curve?: string } {
  switch (algorithm) {
    case 'ES256':
      return { type: 'ec', curve: 'prime256v1' };
    case 'ES384':
      return { type: 'ec', curve: 'secp384r1' };
    case 'RS256':
    case 'PS256':
      return { type: 'rsa' };
    case 'EdDSA':
      return { type: 'ed25519' };
  }
}

function generate(algorithm: AccessTokenAlgorithm): KeyObject {
  const { type, curve } = keyTypeFor(algorithm);
  if (type === 'ec') return generateKeyPairSync('ec', { namedCurve: curve as string }).privateKey;
  if (type === 'rsa') return generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
  return generateKeyPairSync('ed25519').privateKey;
}

export function loadSigningKey(auth: Pick<AuthConfig, 'algorithm' | 'signingKeyFile'>): SigningKey {
  let privateKey: KeyObject;
  let ephemeral = false;
  if (auth.signingKeyFile) {
    let pem: string;
    try {
      pem = readFileSync(auth.signingKeyFile, 'utf8');
    } catch (error) {
      throw new SigningKeyError(`cannot read auth.signingKeyFile ${auth.signingKeyFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
    }
    try {
      privateKey = createPrivateKey(pem);
    } catch (error) {
      throw new SigningKeyError(`auth.signingKeyFile ${auth.signingKeyFile} is not a PEM private key`, { cause: error });
    }
    const want = keyTypeFor(auth.algorithm);
    const curve = privateKey.asymmetricKeyDetails?.namedCurve;
    if (privateKey.asymmetricKeyType !== want.type || (want.curve && curve !== want.curve)) {
      throw new SigningKeyError(
        `auth.signingKeyFile holds a ${privateKey.asymmetricKeyType}${curve ? ` ${curve}` : ''} key, which cannot sign ${auth.algorithm}`,
      );
    }
  } else {
    privateKey = generate(auth.algorithm);
    ephemeral = true;
  }
  const publicKey = createPublicKey(privateKey);
  const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 16);
  return { privateKey, publicKey, keyId, ephemeral };
}
