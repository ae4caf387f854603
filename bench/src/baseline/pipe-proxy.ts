import http from 'node:http';
import { pipeline } from 'node:stream';

export interface PipeProxyOptions {
  /** Orthanc's HTTP root, e.g. http://127.0.0.1:8042. */
  orthancUrl: string;
  /** The Basic authorization nginx would send to Orthanc. */
  orthancAuthorization: string;
}

/** Response headers passed on from Orthanc; the multipart boundary lives in Content-Type. */
const PASSED_HEADERS = ['content-type', 'content-length'] as const;

/**
 * Baseline (c): what the gate would be if it carried the bytes itself. It authenticates nothing
 * and audits nothing, fetches `/dicom-web/...` from Orthanc over keep-alive connections, and pipes
 * the answer through with backpressure (stream.pipeline) — the cheapest honest way for a Node
 * service to relay a body. Anything the gate does on top of this only adds to its cost.
 */
export function createPipeProxy(options: PipeProxyOptions): http.Server {
  const upstream = new URL(options.orthancUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return http.createServer((request, response) => {
    const target = request.url ?? '/';
    if (request.method !== 'GET' || !target.startsWith('/dicom-web/')) {
      response.writeHead(404).end();
      return;
    }
    const outgoing = http.get(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: target,
        agent,
        headers: { accept: request.headers.accept ?? '*/*', authorization: options.orthancAuthorization },
      },
      (answer) => {
        const headers: http.OutgoingHttpHeaders = {};
        for (const name of PASSED_HEADERS) {
          const value = answer.headers[name];
          if (value !== undefined) headers[name] = value;
        }
        response.writeHead(answer.statusCode ?? 502, headers);
        pipeline(answer, response, () => undefined);
      },
    );
    outgoing.once('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    // A client that goes away stops the upstream fetch too.
    response.once('close', () => {
      if (!response.writableFinished) outgoing.destroy();
    });
  });
}
