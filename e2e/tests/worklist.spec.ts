import { randomUUID } from 'node:crypto';
import { expect, test } from '../support/fixtures.ts';

test('the worklist searches, sorts and opens a study from the keyboard', async ({ signIn, worklist, viewer, demo, page }) => {
  const { user } = await signIn('admin');
  const studies = demo.cohort.studies.filter((s) => user.studies.includes(s.studyInstanceUid));

  // Newest first by default.
  const byDateDesc = [...studies].sort((a, b) => `${b.studyDate}${b.studyTime}`.localeCompare(`${a.studyDate}${a.studyTime}`));
  expect(await worklist.studyUids()).toEqual(byDateDesc.map((s) => s.studyInstanceUid));

  await page.getByRole('button', { name: 'Accession' }).click();
  const byAccession = [...studies].sort((a, b) => a.accessionNumber.localeCompare(b.accessionNumber));
  await expect.poll(() => worklist.studyUids()).toEqual(byAccession.map((s) => s.studyInstanceUid));
  await expect(page.getByRole('columnheader', { name: /Accession/ })).toHaveAttribute('aria-sort', 'ascending');

  await worklist.search.fill('smith');
  const smith = studies.filter((s) => s.patientId === 'RS-P0002');
  await expect.poll(() => worklist.studyUids()).toEqual(smith.map((s) => s.studyInstanceUid));
  await worklist.search.fill('');
  await expect(worklist.rows).toHaveCount(studies.length);

  // Keyboard: from the search field into the list, down one row, Enter opens it.
  await worklist.search.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(worklist.rows.nth(1)).toHaveAttribute('aria-selected', 'true');
  const second = (await worklist.studyUids())[1];
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/studies/${second?.replaceAll('.', '\\.')}$`));
  await viewer.waitForRendered({ imageIndex: 0 });
});

test('the login screen says why a sign-in failed', async ({ loginPage }) => {
  await loginPage.goto();
  await loginPage.username.fill('rad.chen');
  await loginPage.password.fill(`wrong-${randomUUID()}`);
  await loginPage.submit.click();
  await expect(loginPage.error).toHaveText('The user name or password is wrong.');
  await expect(loginPage.password).toHaveValue('');
  // The web host talks to its own origin: no server field.
  await expect(loginPage.page.getByLabel('Server URL')).toHaveCount(0);
});
