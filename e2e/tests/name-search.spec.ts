import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freshUidCopies, pydicomDataDir, storescu, type SampleCopy } from '@reading-station/stack';
import { expect, test } from '../support/fixtures.ts';
import { adminWorklist, removeAddedStudies } from '../support/added-studies.ts';
import { demoUser } from '../support/stack-under-test.ts';

// Names as staff type and read them: the worklist search takes a name in any word order and
// punctuation, partially, in any case and any component group; the worklist and the viewer show
// every group, the ideographic first (docs/architecture.md, "Patient names").

test('"DOE, JANE", "Jane Doe" and "doe^jane" find the demo patient; Enter opens the selected row; the search is kept', async ({ signIn, worklist, viewer, demo, page }) => {
  const { user } = await signIn('admin');
  const doe = demo.cohort.patients.find((p) => p.patientName === 'DOE^JANE');
  if (!doe) throw new Error('DOE^JANE is not in the demo data');
  const doeStudies = demo.cohort.studies.filter((s) => s.patientId === doe.patientId && user.studies.includes(s.studyInstanceUid));
  expect(doeStudies.length).toBeGreaterThan(0);

  // The search has the focus on arrival: typing goes straight into it.
  await expect(worklist.search).toBeFocused();
  for (const typed of ['DOE, JANE', 'Jane Doe', 'doe^jane', 'jan do']) {
    await worklist.search.fill(typed);
    await expect.poll(async () => (await worklist.studyUids()).sort(), { message: typed }).toEqual(doeStudies.map((s) => s.studyInstanceUid).sort());
  }
  await worklist.search.fill('Jane Smith');
  await expect(worklist.rows).toHaveCount(0);
  await expect(page.getByText('No study matches this search.')).toBeVisible();

  // Enter right after typing opens the first result, even before the list has caught up.
  await worklist.search.fill('');
  await expect(worklist.rows).toHaveCount(user.studies.length);
  await worklist.search.pressSequentially('DOE, JANE');
  await worklist.search.press('Enter');
  await expect(page).toHaveURL(/#\/studies\/[0-9.]+$/);
  const opened = /#\/studies\/([0-9.]+)$/.exec(page.url())?.[1];
  expect(doeStudies.map((s) => s.studyInstanceUid)).toContain(opened);
  await expect(viewer.overlayPatient).toContainText('DOE, JANE');

  // Back at the worklist the search is as it was left, its rows with it, and Enter opens the selected row.
  await page.getByRole('button', { name: '← Worklist' }).click();
  await expect(worklist.search).toHaveValue('DOE, JANE');
  await expect(worklist.search).toBeFocused();
  await expect.poll(async () => (await worklist.studyUids()).sort()).toEqual(doeStudies.map((s) => s.studyInstanceUid).sort());
  if (doeStudies.length > 1) {
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const second = (await worklist.studyUids())[1];
    await worklist.search.focus();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`#/studies/${second?.replaceAll('.', '\\.')}$`));
  }
});

test.describe('names in other scripts, from a modality', () => {
  let workDir: string;
  let samples: SampleCopy[] = [];

  test.beforeAll(async ({ stackUnderTest, request }) => {
    test.setTimeout(120_000);
    workDir = mkdtempSync(path.join(tmpdir(), 'rs-name-search-'));
    const charsets = path.join(await pydicomDataDir(), 'charset_files');
    // pydicom's files, made by others: Wang^XiaoDong=王^小東 (GB18030) and 김희중 (Korean, ISO 2022).
    const sources = ['chrX1.dcm', 'chrKoreanMulti.dcm'].map((name) => path.join(charsets, name));
    samples = await freshUidCopies(sources, workDir, { ownPatients: randomBytes(3).toString('hex') });
    const { dicom } = stackUnderTest.stack;
    const sent = await storescu({ port: dicom.port, calledAet: dicom.aet, callingAet: 'DEMO_MODALITY' }, samples.map((s) => s.file));
    expect(sent.ok, sent.output).toBe(true);
    const uids = new Set(samples.map((s) => s.studyInstanceUid));
    await expect
      .poll(async () => (await adminWorklist(request, stackUnderTest, '')).filter((item) => uids.has(item.studyInstanceUid)).length, { timeout: 90_000 })
      .toBe(samples.length);
  });

  test.afterAll(async ({ stackUnderTest, request }) => {
    test.setTimeout(120_000);
    // Leave the stack as the other specs expect it: only the demo cohort.
    await removeAddedStudies(request, stackUnderTest, samples.map((s) => s.studyInstanceUid));
    rmSync(workDir, { recursive: true, force: true });
  });

  test('every group reaches the worklist, shown ideographic first, and any group finds the patient', async ({ loginPage, stackUnderTest, worklist, viewer, page }) => {
    const wang = samples.find((s) => s.source.endsWith('chrX1.dcm'));
    const kim = samples.find((s) => s.source.endsWith('chrKoreanMulti.dcm'));
    if (!wang || !kim) throw new Error('the charset files were not prepared');
    // The admin sees the demo cohort and the studies sent here.
    const admin = demoUser(stackUnderTest, 'admin');
    await loginPage.goto();
    await loginPage.signIn(admin.username, admin.password);
    await worklist.waitForStudies(admin.studies.length + samples.length);

    for (const typed of ['小東', '王 小東', 'xiaodong WANG', 'Wang, XiaoDong']) {
      await worklist.search.fill(typed);
      await expect.poll(() => worklist.studyUids(), { message: typed }).toEqual([wang.studyInstanceUid]);
    }
    const cell = worklist.row(wang.studyInstanceUid).locator('td').first();
    await expect(cell).toHaveText('王 小東Wang, XiaoDong');
    await expect(cell.locator('.patient-name')).toHaveAttribute('title', 'Ideographic: 王 小東 · Alphabetic: Wang, XiaoDong');
    await expect(cell.locator('.patient-name-other')).toHaveText('Wang, XiaoDong');

    // The viewer's overlay: the first group, the others in parentheses.
    await worklist.open(wang.studyInstanceUid);
    await expect(viewer.overlayPatient).toContainText('王 小東 (Wang, XiaoDong)');
    await page.getByRole('button', { name: '← Worklist' }).click();
    await expect(worklist.search).toHaveValue('Wang, XiaoDong');

    await worklist.search.fill('희중');
    await expect.poll(() => worklist.studyUids()).toEqual([kim.studyInstanceUid]);
    await expect(worklist.row(kim.studyInstanceUid).locator('td').first()).toHaveText('김희중');
    await expect(page.getByTestId('worklist-count')).toHaveText('1 study');
  });
});
