import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  loadStackConfig,
  locateNginx,
  renderNginxConfiguration,
  stackLayout,
  startNginx,
  stopProcess,
  type NginxSettings,
  type StartedProcess,
} from '@reading-station/stack';

const execFileAsync = promisify(execFile);

/** Path prefixes of the three variants, all on the bench nginx's one public server. */
export const VARIANT_PREFIX = {
  /** (a) nginx → Orthanc with nothing in between: the physical limit. */
  direct: '/bench-direct/dicom-web/',
  /** (b) the product path: nginx → gate → X-Accel-Redirect → nginx → Orthanc. */
  gate: '/api/ris/dicom-web/',
  /** (c) nginx → a Node proxy that pipes Orthanc's bytes (bench/src/baseline). */
  pipe: '/bench-pipe/dicom-web/',
} as const;
export type Variant = keyof typeof VARIANT_PREFIX;

const INTERNAL_LOCATION = 'location /internal-orthanc/dicom-web/ {';

/**
 * A request header that makes the bench nginx's cached internal location neither answer from nor
 * store into its cache, so the cache benchmark measures the same gated path uncached.
 */
export const BENCH_NO_CACHE_HEADER = 'X-Bench-No-Cache';
const CACHE_DIRECTIVE = 'proxy_cache rs_dicomweb;';

/** The block from `start` (which must end with `{`) to its matching `}`. */
export function blockAt(text: string, start: number): string {
  let depth = 0;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth += 1;
    else if (text[i] === '}') {
      depth -= 1;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  throw new Error('unbalanced braces in the rendered nginx configuration');
}

/**
 * The product configuration (rendered by the stack's own renderer from nginx/*.template) plus two
 * bench-only locations, written only into the bench's own nginx config:
 * - `/bench-direct/dicom-web/` is a copy of the internal Orthanc location without `internal;`, so
 *   (a) and the second leg of (b) run exactly the same proxy directives;
 * - `/bench-pipe/dicom-web/` sends the request to the baseline Node proxy with the same
 *   streaming settings.
 * The product template never gets a public path to Orthanc.
 */
export function addBenchLocations(productConfig: string, pipePort: number): string {
  const start = productConfig.indexOf(INTERNAL_LOCATION);
  if (start === -1 || productConfig.indexOf(INTERNAL_LOCATION, start + 1) !== -1) {
    throw new Error(`expected exactly one "${INTERNAL_LOCATION}" in the rendered nginx configuration`);
  }
  const internal = blockAt(productConfig, start);
  const withoutInternal = internal.replace(/^\s*internal;\n/m, '');
  if (withoutInternal === internal) throw new Error('the internal Orthanc location has no `internal;` line to drop');
  const direct = withoutInternal.replace(INTERNAL_LOCATION, `location ${VARIANT_PREFIX.direct} {`);
  const pipe = [
    `location ${VARIANT_PREFIX.pipe} {`,
    '            proxy_pass http://bench_pipe_proxy/dicom-web/;',
    '            proxy_http_version 1.1;',
    '            proxy_set_header Connection "";',
    '            proxy_buffering off;',
    '            proxy_request_buffering off;',
    '            proxy_max_temp_file_size 0;',
    '            proxy_read_timeout 300s;',
    '        }',
  ].join('\n');
  const upstream = [
    '    upstream bench_pipe_proxy {',
    `        server 127.0.0.1:${pipePort};`,
    '        keepalive 32;',
    '    }',
    '',
  ].join('\n');
  const firstServer = productConfig.indexOf('\n    server {');
  if (firstServer === -1) throw new Error('no server block in the rendered nginx configuration');
  const marked = `        # Bench only (bench/src/stack/bench-nginx.ts): never in the product template.\n        ${direct}\n\n        ${pipe}\n\n        `;
  const withLocations = productConfig.slice(0, start) + marked + productConfig.slice(start);
  const bypass = `${CACHE_DIRECTIVE}\n            # Bench only: the uncached variant of the cache benchmark.\n            proxy_cache_bypass $http_x_bench_no_cache;\n            proxy_no_cache $http_x_bench_no_cache;`;
  const withBypass = withLocations.split(CACHE_DIRECTIVE).join(bypass);
  return withBypass.slice(0, firstServer + 1) + upstream + withBypass.slice(firstServer + 1);
}

export interface BenchNginxOptions {
  stateDir: string;
  httpPort: number;
  opsPort: number;
  pipePort: number;
  gatePort: number;
  orthancPort: number;
  orthancAuthorization: string;
}

export interface BenchNginx {
  baseUrl: string;
  process: StartedProcess;
  configFile: string;
}

/** nginx's worker user when run as root (as the stack does). */
function chownToWorker(dir: string): void {
  if (process.getuid?.() === 0) chownSync(dir, 65534, 65534);
}

export async function startBenchNginx(options: BenchNginxOptions): Promise<BenchNginx> {
  const layout = stackLayout(options.stateDir);
  const stackConfig = loadStackConfig();
  const settings: NginxSettings = {
    layout,
    listenAddress: '127.0.0.1',
    httpPort: options.httpPort,
    opsPort: options.opsPort,
    gatePort: options.gatePort,
    orthancPort: options.orthancPort,
    orthancBasicAuth: options.orthancAuthorization.replace(/^Basic /, ''),
    rendererDist: stackConfig.rendererDist,
    corsOrigins: stackConfig.corsOrigins,
  };
  mkdirSync(layout.logs, { recursive: true });
  for (const dir of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    const full = path.join(layout.nginx.tmp, dir);
    mkdirSync(full, { recursive: true });
    chownToWorker(full);
  }
  writeFileSync(layout.nginx.configFile, addBenchLocations(renderNginxConfiguration(settings), options.pipePort), { mode: 0o600 });
  const nginx = locateNginx();
  try {
    await execFileAsync(nginx, ['-t', '-q', '-p', layout.nginx.dir, '-c', layout.nginx.configFile, '-e', layout.nginx.errorLog]);
  } catch (error) {
    throw new Error(`the bench nginx configuration ${layout.nginx.configFile} is invalid: ${(error as { stderr?: string }).stderr ?? String(error)}`, {
      cause: error,
    });
  }
  const started = await startNginx(settings, nginx);
  return { baseUrl: `http://127.0.0.1:${options.httpPort}`, process: started, configFile: layout.nginx.configFile };
}

export async function stopBenchNginx(nginx: BenchNginx): Promise<void> {
  await stopProcess(nginx.process, 'SIGTERM', 15_000);
}
