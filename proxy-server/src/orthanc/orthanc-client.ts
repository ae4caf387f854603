import { z } from 'zod';

export interface OrthancConnection {
  /** Orthanc's REST root, e.g. `http://127.0.0.1:8042`. */
  baseUrl: string;
  username: string;
  password: string;
}

/** A failed exchange with Orthanc; the message is one readable sentence, never a stack trace. */
export class OrthancError extends Error {
  /** HTTP status when Orthanc answered, undefined when it could not be reached. */
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'OrthancError';
    this.status = status;
  }
}

export interface StoredInstance {
  /** `Success` for a new instance, `AlreadyStored` when Orthanc had it. */
  status: 'Success' | 'AlreadyStored';
  instanceId: string;
  studyId: string;
}

export interface StudyStatistics {
  countSeries: number;
  countInstances: number;
}

export interface OrthancClientOptions {
  fetch?: typeof fetch;
  /** Per request; a large multi-frame upload may take a while. */
  timeoutMs?: number;
}

const storeAnswer = z.looseObject({
  ID: z.string(),
  ParentStudy: z.string(),
  Status: z.string(),
});

const count = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);
const statisticsAnswer = z.looseObject({ CountSeries: count, CountInstances: count });

const errorAnswer = z.looseObject({
  Message: z.string().optional(),
  Details: z.string().optional(),
  OrthancError: z.string().optional(),
});

const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
};

export class OrthancClient {
  readonly #base: URL;
  readonly #authorization: string;
  readonly #username: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(connection: OrthancConnection, { fetch: fetchImpl = fetch, timeoutMs = 120_000 }: OrthancClientOptions = {}) {
    let base: URL;
    try {
      base = new URL(connection.baseUrl.endsWith('/') ? connection.baseUrl : `${connection.baseUrl}/`);
    } catch {
      throw new OrthancError(`invalid Orthanc URL ${JSON.stringify(connection.baseUrl)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new OrthancError(`invalid Orthanc URL ${JSON.stringify(connection.baseUrl)}: expected http:// or https://`);
    // Credentials travel in the header only, so the URL can be shown in messages.
    if (base.username !== '' || base.password !== '') throw new OrthancError('put the Orthanc user and password in their own options, not in the URL');
    this.#base = base;
    this.#username = connection.username;
    this.#authorization = `Basic ${Buffer.from(`${connection.username}:${connection.password}`, 'utf8').toString('base64')}`;
    this.#fetch = fetchImpl;
    this.#timeoutMs = timeoutMs;
  }

  /** Where this client talks to, without credentials. */
  get origin(): string {
    return this.#base.origin;
  }

  /** POST /instances with one DICOM Part 10 file. */
  async storeInstance(bytes: Uint8Array): Promise<StoredInstance> {
    const body = await this.#request('instances', { method: 'POST', body: bytes, headers: { 'content-type': 'application/dicom' } });
    const parsed = storeAnswer.safeParse(body);
    if (!parsed.success) throw new OrthancError('unexpected answer from Orthanc to POST /instances');
    const { Status: status, ID: instanceId, ParentStudy: studyId } = parsed.data;
    if (status !== 'Success' && status !== 'AlreadyStored') throw new OrthancError(`Orthanc did not store the instance (status ${status})`);
    return { status, instanceId, studyId };
  }

  /** Series and instance counts of a study as Orthanc holds it (all imports so far, not only this one). */
  async studyStatistics(studyId: string): Promise<StudyStatistics> {
    const body = await this.#request(`studies/${encodeURIComponent(studyId)}/statistics`, { method: 'GET' });
    const parsed = statisticsAnswer.safeParse(body);
    if (!parsed.success) throw new OrthancError('unexpected answer from Orthanc to GET /studies/{id}/statistics');
    return { countSeries: parsed.data.CountSeries, countInstances: parsed.data.CountInstances };
  }

  async #request(path: string, init: { method: string; body?: Uint8Array; headers?: Record<string, string> }): Promise<unknown> {
    const url = new URL(path, this.#base);
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: init.method,
        headers: { authorization: this.#authorization, accept: 'application/json', ...init.headers },
        ...(init.body !== undefined && { body: init.body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      throw new OrthancError(this.#networkReason(error));
    }
    const text = await response.text().catch(() => '');
    if (response.status === 401 || response.status === 403) {
      throw new OrthancError(`Orthanc refused the credentials of user "${this.#username}" (HTTP ${response.status})`, response.status);
    }
    if (!response.ok) throw new OrthancError(httpReason(response, text), response.status);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new OrthancError(`Orthanc answered HTTP ${response.status} with a body that is not JSON`, response.status);
    }
  }

  #networkReason(error: unknown): string {
    if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return `Orthanc at ${this.origin} did not answer within ${Math.round(this.#timeoutMs / 1000)} s`;
    }
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const code = typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    const reason = (code !== undefined ? NETWORK_REASONS[code] : undefined) ?? (cause instanceof Error ? cause.message : String(cause));
    return `cannot reach Orthanc at ${this.origin}: ${reason}`;
  }
}

function httpReason(response: Response, text: string): string {
  let detail: string | undefined;
  try {
    const parsed = errorAnswer.safeParse(JSON.parse(text));
    if (parsed.success) {
      const { OrthancError: kind, Message: message, Details: details } = parsed.data;
      detail = [message ?? kind, details].filter((part) => part !== undefined && part !== '').join(': ');
    }
  } catch {
    // Orthanc sends no JSON body when HttpDescribeErrors is off; the status line is all there is.
  }
  const summary = detail === undefined || detail === '' ? response.statusText : oneLine(detail);
  return `Orthanc answered HTTP ${response.status}${summary === '' ? '' : ` (${summary})`}`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}
