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

const changeAnswer = z.looseObject({
  ChangeType: z.string(),
  ResourceType: z.string(),
  ID: z.string(),
  Seq: z.number().int(),
});
const changesAnswer = z.looseObject({ Changes: z.array(changeAnswer), Done: z.boolean(), Last: z.number().int() });

const tagValue = z.string().nullish().transform((value) => (value === undefined || value === null || value === '' ? null : value));
const studyAnswer = z.looseObject({
  ID: z.string(),
  ParentPatient: z.string(),
  Series: z.array(z.string()),
  MainDicomTags: z.looseObject({
    StudyInstanceUID: z.string(),
    AccessionNumber: tagValue,
    StudyDate: tagValue,
    StudyTime: tagValue,
    StudyDescription: tagValue,
    ReferringPhysicianName: tagValue,
  }),
  PatientMainDicomTags: z.looseObject({
    PatientID: tagValue,
    PatientName: tagValue,
    PatientBirthDate: tagValue,
    PatientSex: tagValue,
  }),
  RequestedTags: z
    .looseObject({
      ModalitiesInStudy: tagValue,
      IssuerOfPatientID: tagValue,
      NumberOfStudyRelatedInstances: tagValue,
    })
    .optional(),
});

/** One entry of Orthanc's changes feed (`GET /changes`). */
export interface OrthancChange {
  /** `StableStudy`, `NewInstance`, `Deleted`, `UpdatedAttachment`, … */
  changeType: string;
  /** `Patient`, `Study`, `Series` or `Instance`. */
  resourceType: string;
  /** Orthanc's identifier of the resource. */
  id: string;
  seq: number;
}

export interface OrthancChanges {
  changes: OrthancChange[];
  /** No more changes after these (for now). */
  done: boolean;
  /** The sequence number to continue from. */
  last: number;
}

/** A study as Orthanc describes it: text already decoded to UTF-8 from any DICOM character set. */
export interface OrthancStudy {
  orthancId: string;
  orthancPatientId: string;
  studyInstanceUid: string;
  patientId: string | null;
  issuerOfPatientId: string | null;
  /** PN with every component group Orthanc decoded, `alphabetic=ideographic=phonetic`. */
  patientName: string | null;
  patientBirthDate: string | null;
  patientSex: string | null;
  accessionNumber: string | null;
  studyDate: string | null;
  studyTime: string | null;
  description: string | null;
  referringPhysicianName: string | null;
  modalities: string[];
  numberOfSeries: number;
  numberOfInstances: number;
}

const STUDY_REQUESTED_TAGS = ['ModalitiesInStudy', 'IssuerOfPatientID', 'NumberOfStudyRelatedInstances'].join(';');

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

  /** `GET /changes?since=&limit=`: the changes after `since`, oldest first. */
  async changes(since: number, limit: number): Promise<OrthancChanges> {
    const body = await this.#request(`changes?since=${Math.max(0, Math.floor(since))}&limit=${Math.max(1, Math.floor(limit))}`, { method: 'GET' });
    return toChanges(body, 'GET /changes');
  }

  /** `GET /changes?last`: the sequence number of the newest change Orthanc holds (0 when none). */
  async lastChange(): Promise<number> {
    return toChanges(await this.#request('changes?last', { method: 'GET' }), 'GET /changes?last').last;
  }

  /** `GET /statistics`: how many studies Orthanc holds. */
  async studyCount(): Promise<number> {
    return (await this.#statistics()).CountStudies;
  }

  /** `GET /statistics`: how many instances Orthanc holds (a deletion lowers it; the feed does not show one). */
  async instanceCount(): Promise<number> {
    return (await this.#statistics()).CountInstances;
  }

  async #statistics(): Promise<{ CountStudies: number; CountInstances: number }> {
    const parsed = z.looseObject({ CountStudies: count, CountInstances: count }).safeParse(await this.#request('statistics', { method: 'GET' }));
    if (!parsed.success) throw new OrthancError('unexpected answer from Orthanc to GET /statistics');
    return parsed.data;
  }

  /**
   * `POST /tools/bulk-content` at study level: the Orthanc IDs of the studies these resources
   * (patients, studies, series or instances, mixed) belong to, each once; resources Orthanc no
   * longer holds are left out.
   */
  async studiesOf(resourceIds: readonly string[]): Promise<string[]> {
    if (resourceIds.length === 0) return [];
    const body = await this.#request('tools/bulk-content', {
      method: 'POST',
      body: new TextEncoder().encode(JSON.stringify({ Resources: resourceIds, Level: 'Study', Metadata: false })),
      headers: { 'content-type': 'application/json' },
    });
    const parsed = z.array(z.looseObject({ ID: z.string() })).safeParse(body);
    if (!parsed.success) throw new OrthancError('unexpected answer from Orthanc to POST /tools/bulk-content');
    return parsed.data.map((study) => study.ID);
  }

  /** `GET /tools/now`: Orthanc's clock, UTC, `YYYYMMDDTHHMMSS`. */
  async now(): Promise<string> {
    const parsed = z.string().regex(/^\d{8}T\d{6}$/).safeParse(await this.#request('tools/now', { method: 'GET' }, 'text'));
    if (!parsed.success) throw new OrthancError('unexpected answer from Orthanc to GET /tools/now');
    return parsed.data;
  }

  /** `POST /tools/find`: the LastUpdate of each of these studies that Orthanc holds, by Orthanc ID. */
  async studyLastUpdates(studyInstanceUids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (studyInstanceUids.length === 0) return found;
    const body = await this.#request('tools/find', {
      method: 'POST',
      body: new TextEncoder().encode(JSON.stringify({ Level: 'Study', Query: { StudyInstanceUID: studyInstanceUids.join('\\') }, ResponseContent: ['Metadata'] })),
      headers: { 'content-type': 'application/json' },
    });
    const parsed = z.array(z.looseObject({ ID: z.string(), Metadata: z.looseObject({ LastUpdate: z.string().optional() }) })).safeParse(body);
    if (!parsed.success) throw new OrthancError('unexpected answer from Orthanc to POST /tools/find');
    for (const study of parsed.data) found.set(study.ID, study.Metadata.LastUpdate ?? '');
    return found;
  }

  /** `GET /studies?since=&limit=`: a page of Orthanc's study identifiers. */
  async studyIds(since: number, limit: number): Promise<string[]> {
    const body = await this.#request(`studies?since=${since}&limit=${limit}`, { method: 'GET' });
    const parsed = z.array(z.string()).safeParse(body);
    if (!parsed.success) throw new OrthancError('unexpected answer from Orthanc to GET /studies');
    return parsed.data;
  }

  /** `GET /studies/{id}` with the study-level tags the registry needs; undefined when Orthanc no longer has it. */
  async study(orthancId: string): Promise<OrthancStudy | undefined> {
    let body: unknown;
    try {
      body = await this.#request(`studies/${encodeURIComponent(orthancId)}?requested-tags=${STUDY_REQUESTED_TAGS}`, { method: 'GET' });
    } catch (error) {
      if (error instanceof OrthancError && error.status === 404) return undefined;
      throw error;
    }
    const parsed = studyAnswer.safeParse(body);
    if (!parsed.success) throw new OrthancError('unexpected answer from Orthanc to GET /studies/{id}');
    const { MainDicomTags: study, PatientMainDicomTags: patient, RequestedTags: requested } = parsed.data;
    return {
      orthancId: parsed.data.ID,
      orthancPatientId: parsed.data.ParentPatient,
      studyInstanceUid: study.StudyInstanceUID,
      patientId: patient.PatientID,
      issuerOfPatientId: requested?.IssuerOfPatientID ?? null,
      patientName: patient.PatientName,
      patientBirthDate: patient.PatientBirthDate,
      patientSex: patient.PatientSex,
      accessionNumber: study.AccessionNumber,
      studyDate: study.StudyDate,
      studyTime: study.StudyTime,
      description: study.StudyDescription,
      referringPhysicianName: study.ReferringPhysicianName,
      modalities: (requested?.ModalitiesInStudy ?? '').split('\\').filter((modality) => modality !== ''),
      numberOfSeries: parsed.data.Series.length,
      numberOfInstances: Number(requested?.NumberOfStudyRelatedInstances ?? 0) || 0,
    };
  }

  async #request(path: string, init: { method: string; body?: Uint8Array; headers?: Record<string, string> }, answer: 'json' | 'text' = 'json'): Promise<unknown> {
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
    if (answer === 'text') return text.trim();
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

function toChanges(body: unknown, what: string): OrthancChanges {
  const parsed = changesAnswer.safeParse(body);
  if (!parsed.success) throw new OrthancError(`unexpected answer from Orthanc to ${what}`);
  return {
    changes: parsed.data.Changes.map((change) => ({ changeType: change.ChangeType, resourceType: change.ResourceType, id: change.ID, seq: change.Seq })),
    done: parsed.data.Done,
    last: parsed.data.Last,
  };
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
