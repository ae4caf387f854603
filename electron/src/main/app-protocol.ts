import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { APP_HOST } from './app-origin.ts';

/**
 * Serves the packaged renderer (`renderer/dist`) on `app://reading-station/…`.
 *
 * Why a custom protocol rather than file://: file:// pages share one opaque origin with every
 * file on the disk (a navigation or fetch to file:///etc/… stays "same-origin"), module scripts
 * and workers are restricted there, CORS requests carry `Origin: null` (which nginx would have to
 * allow for everyone), and there is no response to attach a CSP header to. A standard, secure
 * custom scheme gives the app one origin of its own, real response headers, and a handler that
 * can only ever read inside the renderer's directory.
 *
 * Plain Node (Request → Response) so it is tested without Electron; main registers it with
 * `session.protocol.handle`. Electron's fs reads inside app.asar transparently.
 */

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  // WebAssembly.instantiateStreaming insists on this exact type.
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

export interface AppRequestHandlerOptions {
  /** Absolute path of the built renderer (the directory holding index.html). */
  rendererDir: string;
  /** The CSP for the next response; asked per response so it follows the configured server. */
  contentSecurityPolicy: () => string | Promise<string>;
  /** Injected in tests; defaults to fs.readFile (asar-aware inside Electron). */
  readFile?: (file: string) => Promise<Uint8Array>;
}

export function createAppRequestHandler(options: AppRequestHandlerOptions): (request: Request) => Promise<Response> {
  const root = normalize(options.rendererDir).replace(/[\\/]+$/, '');
  const read = options.readFile ?? ((file: string) => readFile(file));

  const respond = async (status: number, body: Uint8Array | string | null, contentType: string, method: string): Promise<Response> => {
    const headers = new Headers({
      'content-type': contentType,
      'content-security-policy': await options.contentSecurityPolicy(),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    return new Response(method === 'HEAD' ? null : body, { status, headers });
  };

  return async (request: Request): Promise<Response> => {
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return respond(405, 'method not allowed', 'text/plain; charset=utf-8', method);
    const target = resolveRendererFile(root, request.url);
    if (!target) return respond(404, 'not found', 'text/plain; charset=utf-8', method);
    for (const file of target.candidates) {
      try {
        const body = await read(file);
        return respond(200, body, contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream', method);
      } catch {
        // Missing (or a directory): try the next candidate, then 404.
      }
    }
    return respond(404, 'not found', 'text/plain; charset=utf-8', method);
  };
}

/**
 * The files a URL may be served from, all inside `root`, or null for anything outside the app's
 * host or directory. Extension-less paths fall back to index.html (client-side routes).
 */
export function resolveRendererFile(root: string, url: string): { candidates: string[] } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.hostname !== APP_HOST || parsed.port !== '') return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  // Encoded separators, backslashes and NULs have no business in a renderer asset path.
  if (path.includes('\0') || path.includes('\\') || path.split('/').some((segment) => segment === '..')) return null;
  const relative = path === '/' || path === '' ? 'index.html' : path.replace(/^\/+/, '');
  const file = normalize(join(root, relative));
  if (!file.startsWith(root + sep)) return null;
  const index = join(root, 'index.html');
  return { candidates: extname(file) === '' && file !== index ? [file, index] : [file] };
}
