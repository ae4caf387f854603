/**
 * The app's own origin. The renderer is served on `app://reading-station` (app-protocol.ts), so
 * one exact origin identifies the app's pages for IPC sender checks, navigation guards and CORS
 * (nginx allows this origin).
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'reading-station';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * True only for URLs of the app's own origin. Compared by parts, not by `URL.origin`: WHATWG
 * URL gives non-special schemes the opaque origin "null", which would match every such scheme.
 */
export function isAppUrl(url: string | null | undefined): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.hostname === APP_HOST && parsed.port === '' && !parsed.username && !parsed.password;
}
