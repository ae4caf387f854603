/**
 * The renderer's Content-Security-Policy, sent as a response header by the app protocol for every
 * file (a worker takes its CSP from its own response, not from the page's <meta>; docs/facts.md, CSP).
 * Remote scripts never run; `wasm-unsafe-eval` is there only because Cornerstone's codecs are
 * WebAssembly. `connect-src` names the configured server and nothing else, so a page changes
 * server only by reloading after the setting changed.
 */
export function buildContentSecurityPolicy(serverUrl: string | null): string {
  const connect = ["'self'", ...(serverUrl ? [serverUrl] : [])].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src ${connect}`,
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
