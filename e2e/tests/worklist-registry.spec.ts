import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { freshUidCopies, pydicomDataDir, storescu, type SampleCopy } from '@reading-station/stack';
import { expect, test } from '../support/fixtures.ts';
import { adminWorklist, removeAddedStudies } from '../support/added-studies.ts';
import { demoUser } from '../support/stack-under-test.ts';

// What the registry knows, as the admin reads it from a modality's studies: the same PatientID
// under two issuers is two patients, each shown and found with its issuer; a StudyInstanceUID the
// PACS holds under two patients is flagged in its row (docs/architecture.md).

const run = promisify(execFile);

test.describe('patients of two issuers and a UID conflict, from a modality', () => {
  const tag = randomBytes(3).toString('hex');
  // Fresh per run, so the PatientID is only these studies'.
  const patientId = `RS-ISSUED-${tag}`;
  let workDir: string;
  let copies: SampleCopy[] = [];
  let ofHospA: SampleCopy;
  let ofHospB: SampleCopy;
  let conflicted: string;

  test.beforeAll(async ({ stackUnderTest, request }) => {
    test.setTimeout(150_000);
    workDir = mkdtempSync(path.join(tmpdir(), 'rs-worklist-registry-'));
    const ct = path.join(await pydicomDataDir(), 'test_files', 'CT_small.dcm');
    // Four copies, each its own study and patient, then: the first two one PatientID under the
    // issuers HOSP-A and HOSP-B; the fourth (another patient) given the third's StudyInstanceUID.
    copies = await freshUidCopies([ct, ct, ct, ct], workDir, { ownPatients: tag });
    const [a, b, third, fourth] = copies as [SampleCopy, SampleCopy, SampleCopy, SampleCopy];
    await run('dcmodify', ['-nb', '-m', `(0010,0020)=${patientId}`, '-i', '(0010,0021)=HOSP-A', a.file]);
    await run('dcmodify', ['-nb', '-m', `(0010,0020)=${patientId}`, '-i', '(0010,0021)=HOSP-B', b.file]);
    await run('dcmodify', ['-nb', '-m', `(0020,000D)=${third.studyInstanceUid}`, fourth.file]);
    [ofHospA, ofHospB, conflicted] = [a, b, third.studyInstanceUid];

    const { dicom } = stackUnderTest.stack;
    const sent = await storescu({ port: dicom.port, calledAet: dicom.aet, callingAet: 'DEMO_MODALITY' }, copies.map((s) => s.file));
    expect(sent.ok, sent.output).toBe(true);
    const uids = new Set([a.studyInstanceUid, b.studyInstanceUid, conflicted]);
    await expect
      .poll(async () => (await adminWorklist(request, stackUnderTest, '')).filter((item) => uids.has(item.studyInstanceUid)).length, { timeout: 90_000 })
      .toBe(uids.size);
  });

  test.afterAll(async ({ stackUnderTest, request }) => {
    test.setTimeout(120_000);
    // Leave the stack as the other specs expect it: only the demo cohort.
    await removeAddedStudies(request, stackUnderTest, [...new Set(copies.map((s) => s.studyInstanceUid))]);
    rmSync(workDir, { recursive: true, force: true });
  });

  test('Patient ID cells name the issuer, "HOSP-A" finds only that patient, and the conflicting study is flagged', async ({ loginPage, stackUnderTest, worklist, page }) => {
    const admin = demoUser(stackUnderTest, 'admin');
    await loginPage.goto();
    await loginPage.signIn(admin.username, admin.password);
    await worklist.waitForStudies(admin.studies.length + 3);

    const patientIdCell = (uid: string) => worklist.row(uid).locator('td').nth(1);
    await expect(patientIdCell(ofHospA.studyInstanceUid)).toHaveText(`${patientId} (issuer HOSP-A)`);
    await expect(patientIdCell(ofHospB.studyInstanceUid)).toHaveText(`${patientId} (issuer HOSP-B)`);

    // The conflict shows in the study's status, and only there.
    await expect(worklist.row(conflicted).locator('.worklist-conflict')).toHaveText('⚠ UID conflict in the PACS');
    await expect(page.locator('.worklist-conflict')).toHaveCount(1);

    for (const typed of ['HOSP-A', 'hosp-a', `${patientId} HOSP-A`]) {
      await worklist.search.fill(typed);
      await expect.poll(() => worklist.studyUids(), { message: typed }).toEqual([ofHospA.studyInstanceUid]);
    }
    await worklist.search.fill(`${patientId}, hosp-b`);
    await expect.poll(() => worklist.studyUids()).toEqual([ofHospB.studyInstanceUid]);
    await worklist.search.fill(patientId);
    await expect.poll(async () => (await worklist.studyUids()).sort()).toEqual([ofHospA.studyInstanceUid, ofHospB.studyInstanceUid].sort());
    await expect(page.getByTestId('worklist-count')).toHaveText('2 studies');
  });
});
