import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFixtureElements } from './dicom-fixtures.ts';

const sha = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 16);

interface StoredStudy {
  studyInstanceUid: string;
  patientId: string;
  patientName: string;
  modalities: Set<string>;
  /** Series id → instance ids. */
  series: Map<string, Set<string>>;
}

/**
 * A stand-in for the parts of Orthanc's REST API the importer uses (POST /instances, and
 * GET /studies/{id} as the registry sync reads it), with Basic auth. For unit tests only: the real
 * Orthanc is exercised by the stack's integration tests. It reads only files `dicomFile` wrote.
 */
export class OrthancStandIn {
  readonly username = 'importer';
  readonly password = randomBytes(12).toString('base64url');
  /** SOPInstanceUIDs the stand-in refuses with Orthanc's JSON error body. */
  readonly refuse = new Set<string>();
  /** Orthanc studies by id (Orthanc's id hashes the PatientID with the StudyInstanceUID). */
  readonly studies = new Map<string, StoredStudy>();
  /** POST /instances received, admitted or not. */
  uploads = 0;
  readonly #server: Server = createServer((request, response) => {
    void this.#handle(request, response);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown) => {
      response.statusCode = status;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(body));
    };
    if (request.method === 'POST' && request.url === '/instances') this.uploads += 1;
    const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    if (request.headers.authorization !== expected) {
      response.statusCode = 401;
      response.setHeader('www-authenticate', 'Basic realm="Orthanc"');
      response.end();
      return;
    }
    if (request.method === 'POST' && request.url === '/instances') {
      const elements = readFixtureElements(Buffer.concat(chunks));
      const sop = elements?.get('00080018');
      if (elements === undefined || sop === undefined || this.refuse.has(sop)) {
        send(400, { HttpError: 'Bad Request', HttpStatus: 400, Message: 'Bad file format', Details: 'Cannot parse an invalid DICOM file (size: 12 bytes)', OrthancError: 'Bad file format', OrthancStatus: 15, Uri: '/instances' });
        return;
      }
      const studyInstanceUid = elements.get('0020000D') ?? '';
      const patientId = elements.get('00100020') ?? '';
      const studyId = `study-${sha(`${patientId}|${studyInstanceUid}`)}`;
      const seriesId = `series-${sha(elements.get('0020000E') ?? '')}`;
      const instanceId = `instance-${sha(sop)}`;
      const study = this.studies.get(studyId) ?? { studyInstanceUid, patientId, patientName: elements.get('00100010') ?? '', modalities: new Set<string>(), series: new Map<string, Set<string>>() };
      this.studies.set(studyId, study);
      const modality = elements.get('00080060');
      if (modality !== undefined) study.modalities.add(modality);
      const instances = study.series.get(seriesId) ?? new Set<string>();
      study.series.set(seriesId, instances);
      const status = instances.has(instanceId) ? 'AlreadyStored' : 'Success';
      instances.add(instanceId);
      send(200, { ID: instanceId, ParentPatient: `patient-${sha(patientId)}`, ParentSeries: seriesId, ParentStudy: studyId, Path: `/instances/${instanceId}`, Status: status });
      return;
    }
    const studyPath = /^\/studies\/([^/?]+)(\?.*)?$/.exec(request.url ?? '');
    const study = studyPath === null ? undefined : this.studies.get(studyPath[1] ?? '');
    if (request.method === 'GET' && study !== undefined) {
      const instances = [...study.series.values()].reduce((total, ids) => total + ids.size, 0);
      send(200, {
        ID: studyPath?.[1],
        ParentPatient: `patient-${sha(study.patientId)}`,
        Series: [...study.series.keys()],
        MainDicomTags: { StudyInstanceUID: study.studyInstanceUid },
        PatientMainDicomTags: { PatientID: study.patientId, PatientName: study.patientName },
        RequestedTags: { ModalitiesInStudy: [...study.modalities].join('\\'), NumberOfStudyRelatedInstances: String(instances) },
      });
      return;
    }
    send(404, { HttpStatus: 404, Message: 'Unknown resource' });
  }
}
