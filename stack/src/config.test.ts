import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStackConfig, repoRoot } from './config.ts';

describe('loadStackConfig', () => {
  it('defaults to loopback ports and a state directory in the checkout', () => {
    const config = loadStackConfig({ env: {} });
    expect(config.listenAddress).toBe('127.0.0.1');
    expect(config.ports).toEqual({ http: 8080, gate: 3001, orthanc: 8042, ops: 8081 });
    expect(config.stateDir).toBe(path.join(repoRoot, '.stack'));
    expect(config.demo).toBe(true);
    expect(config.dicom).toEqual({ port: 4242, aet: 'READING_STATION', modalities: [{ aet: 'DEMO_MODALITY', host: '127.0.0.1' }] });
  });

  it('takes the DICOM port and AE title from the environment and checks AE titles', () => {
    const config = loadStackConfig({ env: { RS_DICOM_PORT: '14242', RS_DICOM_AET: 'PACS_GATE', RS_ORTHANC_STABLE_AGE: '5' } });
    expect(config.dicom.port).toBe(14242);
    expect(config.dicom.aet).toBe('PACS_GATE');
    expect(config.orthancStableAgeSeconds).toBe(5);
    expect(() => loadStackConfig({ env: { RS_DICOM_AET: 'A_TITLE_LONGER_THAN_16' } })).toThrow(/dicom\.aet: expected an AE title .* \(from RS_DICOM_AET\)/);
  });

  it('turns the DICOMweb cache on by default, sized by nginx units from the file or the environment', () => {
    expect(loadStackConfig({ env: {} }).dicomwebCache).toEqual({ enabled: true, maxSize: '1g', keysZone: '16m', inactive: '60m', valid: '24h', revisionPollMs: 250 });
    const dir = mkdtempSync(path.join(tmpdir(), 'rs-config-'));
    const file = path.join(dir, 'stack.json');
    writeFileSync(file, JSON.stringify({ dicomwebCache: { enabled: false, keysZone: '64m' } }));
    const config = loadStackConfig({ configFile: file, env: { RS_DICOMWEB_CACHE_MAX_SIZE: '20g', RS_DICOMWEB_CACHE_INACTIVE: '12h' } });
    expect(config.dicomwebCache).toMatchObject({ enabled: false, maxSize: '20g', keysZone: '64m', inactive: '12h' });
    // Values are written into nginx's configuration: only nginx's own size and time syntax passes.
    expect(() => loadStackConfig({ env: { RS_DICOMWEB_CACHE_MAX_SIZE: '1g; include /etc/passwd' } })).toThrow(/dicomwebCache\.maxSize: expected an nginx size .* \(from RS_DICOMWEB_CACHE_MAX_SIZE\)/);
    expect(() => loadStackConfig({ env: { RS_DICOMWEB_CACHE_INACTIVE: '10' } })).toThrow(/dicomwebCache\.inactive: expected a duration/);
  });

  it('lets the environment override the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rs-config-'));
    const file = path.join(dir, 'stack.json');
    writeFileSync(file, JSON.stringify({ ports: { http: 9000, gate: 9001 }, demo: false }));
    const config = loadStackConfig({ configFile: file, env: { RS_GATE_PORT: '9101' } });
    expect(config.ports).toEqual({ http: 9000, gate: 9101, orthanc: 8042, ops: 8081 });
    expect(config.demo).toBe(false);
    expect(config.configFile).toBe(file);
  });

  it('reports every bad key on its own line, naming its source', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rs-config-'));
    const file = path.join(dir, 'stack.json');
    writeFileSync(file, JSON.stringify({ ports: { orthanc: 0 }, colour: 'blue' }));
    let message = '';
    try {
      loadStackConfig({ configFile: file, env: { RS_HTTP_PORT: 'abc' } });
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines).toHaveLength(3);
    expect(message).toMatch(/^stack config: ports\.http: .* \(from RS_HTTP_PORT\)$/m);
    expect(message).toMatch(/^stack config: ports\.orthanc: expected a port between 1 and 65535 \(in .*stack\.json\)$/m);
    expect(message).toMatch(/^stack config: \(root\): .*colour/m);
  });
});
