import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readDicomHeader } from '../dicom/dicom-header.ts';

const sha = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 16);

/**
 * A stand-in for the parts of Orthanc's REST API the importer uses (POST /instances,
 * GET /studies/{id}/statistics), with Basic auth. For unit tests only: the real Orthanc is
 * exercised by the stack's integration tests.
 */
export class OrthancStandIn {
  readonly username = 'importer';
  readonly password = randomBytes(12).toString('base64url');
  /** SOPInstanceUIDs the stand-in refuses with Orthanc's JSON error body. */
  readonly refuse = new Set<string>();
  /** Orthanc studies: id → series id → instance ids. */
  readonly studies = new Map<string, Map<string, Set<string>>>();
  statisticsAvailable = true;
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
    const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    if (request.headers.authorization !== expected) {
      response.statusCode = 401;
      response.setHeader('www-authenticate', 'Basic realm="Orthanc"');
      response.end();
      return;
    }
    if (request.method === 'POST' && request.url === '/instances') {
      this.uploads += 1;
      let header;
      try {
        header = readDicomHeader(Buffer.concat(chunks));
      } catch {
        send(400, { HttpError: 'Bad Request', HttpStatus: 400, Message: 'Bad file format', OrthancError: 'Bad file format', OrthancStatus: 15, Uri: '/instances' });
        return;
      }
      if (this.refuse.has(header.sopInstanceUid)) {
        send(400, { HttpStatus: 400, Message: 'Bad file format', Details: 'Cannot parse an invalid DICOM file (size: 12 bytes)', OrthancError: 'Bad file format' });
        return;
      }
      const studyId = `study-${sha(header.studyInstanceUid)}`;
      const seriesId = `series-${sha(header.seriesInstanceUid)}`;
      const instanceId = `instance-${sha(header.sopInstanceUid)}`;
      const series = this.studies.get(studyId) ?? new Map<string, Set<string>>();
      this.studies.set(studyId, series);
      const instances = series.get(seriesId) ?? new Set<string>();
      series.set(seriesId, instances);
      const status = instances.has(instanceId) ? 'AlreadyStored' : 'Success';
      instances.add(instanceId);
      send(200, { ID: instanceId, ParentPatient: 'patient', ParentSeries: seriesId, ParentStudy: studyId, Path: `/instances/${instanceId}`, Status: status });
      return;
    }
    const statistics = /^\/studies\/([^/]+)\/statistics$/.exec(request.url ?? '');
    if (request.method === 'GET' && statistics !== null && this.statisticsAvailable) {
      const series = this.studies.get(statistics[1] ?? '');
      if (series === undefined) {
        send(404, { HttpStatus: 404, Message: 'Unknown resource' });
        return;
      }
      const countInstances = [...series.values()].reduce((total, instances) => total + instances.size, 0);
      send(200, { CountInstances: countInstances, CountSeries: series.size, DiskSize: '1234', DiskSizeMB: 0 });
      return;
    }
    send(404, { HttpStatus: 404, Message: 'Unknown resource' });
  }
}
