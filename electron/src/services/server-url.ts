import { z } from 'zod';

/** The server URL the user typed is not one the app will talk to; the message says why. */
export class InvalidServerUrlError extends Error {
  override readonly name = 'InvalidServerUrlError';
  readonly code = 'INVALID_SERVER_URL';
}

/**
 * Normalises what the user typed to the server's origin (`https://host[:port]`), or throws
 * InvalidServerUrlError. Only an origin is accepted: the API paths are fixed (`/api/auth/*`,
 * `/api/ris/dicom-web/*`), credentials in a URL would end up in logs and history, and the CSP's
 * `connect-src` is built from this value, so it must not carry paths or wildcards.
 */
export function parseServerUrl(input: string): string {
  const trimmed = input.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new InvalidServerUrlError(`"${trimmed}" is not a URL; enter the server address, e.g. https://pacs.hospital.example`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidServerUrlError(`the server address must start with https://, not ${url.protocol}//`);
  }
  // Plain http only to this computer: elsewhere it would carry passwords and images in clear, and
  // the renderer (a secure app:// origin) could not fetch from it anyway (mixed content).
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new InvalidServerUrlError('the server address must start with https:// (plain http:// is accepted only for this computer, e.g. http://127.0.0.1:8080)');
  }
  if (url.username || url.password) throw new InvalidServerUrlError('the server address must not contain a user name or password');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new InvalidServerUrlError('enter only the server address (scheme, host and port), without a path, query or fragment');
  }
  return url.origin;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** A zod schema for an already-normalised server origin (what the settings file holds). */
export const serverOriginSchema = z.string().max(2048).refine(
  (value) => {
    try {
      return parseServerUrl(value) === value;
    } catch {
      return false;
    }
  },
  { message: 'must be an http(s) origin such as https://pacs.hospital.example' },
);
