// A viewer-like closed-loop load through nginx: many frame requests per series-metadata request,
// a bounded number of connections, every answer recorded (status, latency, request id) so a caller
// can count failures, find the slowest request in nginx's access log and match audit rows to
// answers. Used by the steady-under-load guard (stack/test/integration) and the soak benchmark.
import { DatabaseSync } from 'node:sqlite';
import { DICOM_JSON, FRAME_ACCEPT } from '@reading-station/contract';
import type { DemoUserLogin } from './running-stack.ts';

/** The contract's frame Accept value (re-exported for the stack's package surface). */
export { FRAME_ACCEPT };

/** Access tokens for one demo user, renewed by a fresh login when less than `renewBeforeMs` is left. */
export class AccessTokens {
  readonly #baseUrl: string;
  readonly #user: DemoUserLogin;
  readonly #renewBeforeMs: number;
  #current: { token: string; until: number } | undefined;
  #pending: Promise<string> | undefined;
  logins = 0;

  constructor(baseUrl: string, user: DemoUserLogin, { renewBeforeMs = 10_000 }: { renewBeforeMs?: number } = {}) {
    this.#baseUrl = baseUrl;
    this.#user = user;
    this.#renewBeforeMs = renewBeforeMs;
  }

  async token(): Promise<string> {
    if (this.#current && this.#current.until > Date.now()) return this.#current.token;
    this.#pending ??= this.#login().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #login(): Promise<string> {
    const response = await fetch(`${this.#baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: this.#user.username, password: this.#user.password, client: 'desktop' }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`login ${this.#user.username} answered ${response.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { accessToken: string; expiresAt: string };
    this.logins++;
    this.#current = { token: body.accessToken, until: new Date(body.expiresAt).getTime() - this.#renewBeforeMs };
    return body.accessToken;
  }
}

export interface ViewerTargets {
  /** `/api/ris/dicom-web/studies/…/frames/1` of every instance of the study's series, series by series. */
  frames: string[];
  /** `/api/ris/dicom-web/studies/…/series/…/metadata` of each series. */
  metadata: string[];
}

async function dicomJson(baseUrl: string, path: string, token: string): Promise<Array<Record<string, { Value?: unknown[] }>>> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as Array<Record<string, { Value?: unknown[] }>>;
}

/** What a viewer opening `studyUid` asks for: each series' metadata, then its frames. */
export async function viewerTargets(baseUrl: string, tokens: AccessTokens, studyUid: string, prefix = '/api/ris/dicom-web'): Promise<ViewerTargets> {
  const token = await tokens.token();
  const study = `${prefix}/studies/${studyUid}`;
  const series = await dicomJson(baseUrl, `${study}/series`, token);
  const frames: string[] = [];
  const metadata: string[] = [];
  for (const entry of series) {
    const seriesUid = String(entry['0020000E']?.Value?.[0] ?? '');
    if (!seriesUid) continue;
    metadata.push(`${study}/series/${seriesUid}/metadata`);
    for (const instance of await dicomJson(baseUrl, `${study}/series/${seriesUid}/instances`, token)) {
      const sop = String(instance['00080018']?.Value?.[0] ?? '');
      if (sop) frames.push(`${study}/series/${seriesUid}/instances/${sop}/frames/1`);
    }
  }
  if (frames.length === 0) throw new Error(`study ${studyUid} has no frames to load`);
  return { frames, metadata };
}

export interface LoadRecord {
  /** When the request was sent, in ms since the run started. */
  at: number;
  ms: number;
  /** HTTP status, or 0 when no answer came (network error or the client's own timeout). */
  status: number;
  kind: 'frame' | 'metadata';
  bytes: number;
  /** The X-Request-Id nginx gave the request (the key of its audit row and access-log line). */
  requestId: string | null;
  target: string;
  error?: string;
}

export interface ClosedLoopOptions {
  baseUrl: string;
  tokens: AccessTokens;
  targets: ViewerTargets;
  connections: number;
  durationMs: number;
  /** One series-metadata request per this many requests (a viewer asks for many frames per series). */
  metadataEvery?: number;
  /** A request with no complete answer after this long is recorded as failed (status 0). */
  requestTimeoutMs?: number;
  /** Offsets of `at`, so several runs can share one time axis. */
  startedAt?: number;
  /** Called with every record as it completes (per-minute figures in the soak benchmark). */
  onRecord?: (record: LoadRecord) => void;
}

/**
 * `connections` loops, each sending its next request as soon as the previous answer's body has
 * been read, until `durationMs` has passed; requests in flight at the end are awaited (each is
 * bounded by `requestTimeoutMs`), so every request sent has a record.
 */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<LoadRecord[]> {
  const { baseUrl, tokens, targets, connections, durationMs } = options;
  const metadataEvery = options.metadataEvery ?? 32;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const origin = options.startedAt ?? performance.now();
  const until = performance.now() + durationMs;
  const records: LoadRecord[] = [];
  let sequence = 0;

  async function one(): Promise<void> {
    const index = sequence++;
    const metadata = targets.metadata.length > 0 && index % metadataEvery === metadataEvery - 1;
    const target = metadata
      ? (targets.metadata[Math.floor(index / metadataEvery) % targets.metadata.length] as string)
      : (targets.frames[index % targets.frames.length] as string);
    const token = await tokens.token();
    const started = performance.now();
    const record: LoadRecord = { at: started - origin, ms: 0, status: 0, kind: metadata ? 'metadata' : 'frame', bytes: 0, requestId: null, target };
    try {
      const response = await fetch(`${baseUrl}${target}`, {
        headers: { authorization: `Bearer ${token}`, accept: metadata ? DICOM_JSON : FRAME_ACCEPT },
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      record.status = response.status;
      record.requestId = response.headers.get('x-request-id');
      if (response.body) for await (const chunk of response.body) record.bytes += (chunk as Uint8Array).byteLength;
    } catch (error) {
      record.status = 0;
      record.error = (error as Error).name === 'TimeoutError' ? `no complete answer within ${requestTimeoutMs} ms` : String((error as Error).message);
    }
    record.ms = performance.now() - started;
    records.push(record);
    options.onRecord?.(record);
  }

  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  return records;
}

export interface LoadSummary {
  answers: number;
  failed: number;
  maxMs: number;
  p99Ms: number;
  p999Ms: number;
  over1s: number;
  over5s: number;
  over10s: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

export function summarise(records: readonly LoadRecord[]): LoadSummary {
  const ms = records.map((r) => r.ms).sort((a, b) => a - b);
  return {
    answers: records.filter((r) => r.status === 200).length,
    failed: records.filter((r) => r.status !== 200).length,
    maxMs: ms.at(-1) ?? 0,
    p99Ms: quantile(ms, 0.99),
    p999Ms: quantile(ms, 0.999),
    over1s: ms.filter((x) => x > 1000).length,
    over5s: ms.filter((x) => x > 5000).length,
    over10s: ms.filter((x) => x > 10_000).length,
  };
}

/** How many of these request ids have a row in the gate's audit log (SQLite registry, read-only). */
export function countAuditRows(database: string, requestIds: readonly string[]): number {
  const db = new DatabaseSync(database, { readOnly: true });
  try {
    let count = 0;
    for (let i = 0; i < requestIds.length; i += 500) {
      const chunk = requestIds.slice(i, i + 500);
      const row = db.prepare(`select count(*) as n from audit_log where request_id in (${chunk.map(() => '?').join(',')})`).get(...chunk) as { n: number };
      count += Number(row.n);
    }
    return count;
  } finally {
    db.close();
  }
}
