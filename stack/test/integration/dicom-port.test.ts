import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoscu, freshUidCopies, pydicomDataDir, storescu, type SampleCopy } from '../../src/dicom-samples.ts';
import { runningStack, type RunningStack } from '../../src/running-stack.ts';

// Orthanc's DICOM port on the running stack: the configured modality may echo, anyone else is
// refused at association and nothing they send reaches Orthanc.

let stack: RunningStack;
let workDir: string;
let sample: SampleCopy;

async function orthancHasInstance(uid: string): Promise<boolean> {
  const response = await fetch(`${stack.orthanc.url}/tools/lookup`, {
    method: 'POST',
    headers: { authorization: stack.orthancAuthorization },
    body: uid,
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as unknown[]).length > 0;
}

beforeAll(async () => {
  stack = runningStack();
  workDir = mkdtempSync(path.join(tmpdir(), 'rs-dicom-port-'));
  const data = await pydicomDataDir();
  [sample] = (await freshUidCopies([path.join(data, 'charset_files', 'chrGerm.dcm')], workDir)) as [SampleCopy];
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("Orthanc's DICOM port", () => {
  it('is described in stack.json with its called AE title and the allowed modalities', () => {
    expect(stack.dicom.aet).toBe('READING_STATION');
    expect(stack.dicom.modalities).toContainEqual({ aet: 'DEMO_MODALITY', host: '127.0.0.1' });
  });

  it('answers C-ECHO from the configured modality', async () => {
    const result = await echoscu({ port: stack.dicom.port, calledAet: stack.dicom.aet, callingAet: 'DEMO_MODALITY' });
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('refuses an unknown calling AE title at association, and nothing it sends reaches Orthanc', async () => {
    const echo = await echoscu({ port: stack.dicom.port, calledAet: stack.dicom.aet, callingAet: 'INTRUDER' });
    expect(echo.ok).toBe(false);
    expect(echo.output).toMatch(/Association Rejected[\s\S]*Calling AE Title Not Recognized/);

    const store = await storescu({ port: stack.dicom.port, calledAet: stack.dicom.aet, callingAet: 'INTRUDER' }, [sample.file]);
    expect(store.ok).toBe(false);
    expect(store.output).toMatch(/Association Rejected/);
    expect(await orthancHasInstance(sample.sopInstanceUid)).toBe(false);
  });

  it('refuses a modality that calls another AE title than Orthanc’s', async () => {
    const echo = await echoscu({ port: stack.dicom.port, calledAet: 'SOMEONE_ELSE', callingAet: 'DEMO_MODALITY' });
    expect(echo.ok).toBe(false);
    expect(echo.output).toMatch(/Called AE Title Not Recognized/);
  });
});
