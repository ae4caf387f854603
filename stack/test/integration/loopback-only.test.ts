import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { echoscu } from '../../src/dicom-samples.ts';
import { runningStack, type RunningStack } from '../../src/running-stack.ts';

// What the stack's listeners answer on an address of this machine that is not loopback: Orthanc's
// HTTP port, the gate and nginx are bound to 127.0.0.1 and refuse the connection; Orthanc's DICOM
// port cannot be bound (Orthanc 1.13 has no option for it), so there the association check
// refuses even the configured modality, whose address is 127.0.0.1.

let stack: RunningStack;

/** Non-loopback IPv4 addresses of this machine (IPv6 listeners are not opened by the stack). */
const externalAddresses = Object.values(networkInterfaces())
  .flat()
  .filter((entry) => entry !== undefined && !entry.internal && entry.family === 'IPv4')
  .map((entry) => entry!.address);

/** 'open' when a TCP connection is accepted, else the error code (ECONNREFUSED when nothing listens). */
function connect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

beforeAll(() => {
  stack = runningStack();
});

describe.skipIf(externalAddresses.length === 0)('listeners on a non-loopback address of this machine', () => {
  it('Orthanc’s HTTP port, the gate and nginx accept connections on 127.0.0.1 only', async () => {
    const ports = { orthanc: stack.ports.orthanc, gate: stack.ports.gate, nginx: stack.ports.http, ops: stack.ports.ops };
    for (const [name, port] of Object.entries(ports)) {
      expect(await connect('127.0.0.1', port), `${name} on 127.0.0.1`).toBe('open');
      for (const address of externalAddresses) expect(await connect(address, port), `${name} on ${address}:${port}`).toBe('ECONNREFUSED');
    }
  });

  it('Orthanc’s DICOM port is open there, and refuses the configured modality calling from there', async () => {
    const modality = stack.dicom.modalities[0];
    if (!modality) throw new Error('the stack has no DICOM modality configured');
    expect(modality.host).toBe('127.0.0.1');
    const peer = { port: stack.dicom.port, calledAet: stack.dicom.aet, callingAet: modality.aet };
    expect((await echoscu(peer)).ok, 'from 127.0.0.1 the modality may echo').toBe(true);
    for (const address of externalAddresses) {
      expect(await connect(address, stack.dicom.port), 'Orthanc cannot bind its DICOM port to an address').toBe('open');
      const echo = await echoscu({ ...peer, host: address });
      expect(echo.ok).toBe(false);
      expect(echo.output).toMatch(/Association Rejected/);
    }
  });
});
