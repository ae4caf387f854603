// The baseline proxy as its own process, so its RSS and CPU are measured apart from the bench's.
//   PIPE_PORT=… PIPE_ORTHANC_URL=… PIPE_ORTHANC_AUTHORIZATION='Basic …' node pipe-proxy-main.ts
// The credentials come by environment, not argv, to stay out of the process list.
import { createPipeProxy } from './pipe-proxy.ts';

const port = Number(process.env.PIPE_PORT);
const orthancUrl = process.env.PIPE_ORTHANC_URL;
const orthancAuthorization = process.env.PIPE_ORTHANC_AUTHORIZATION;
if (!Number.isInteger(port) || !orthancUrl || !orthancAuthorization) {
  process.stderr.write('pipe-proxy: PIPE_PORT, PIPE_ORTHANC_URL and PIPE_ORTHANC_AUTHORIZATION are required\n');
  process.exit(2);
}

const server = createPipeProxy({ orthancUrl, orthancAuthorization });
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`pipe-proxy listening on 127.0.0.1:${port}\n`));
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
