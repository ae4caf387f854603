import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '../support/fixtures.ts';

/**
 * The screenshots go to this test's output folder (under the git-ignored test-results/) and into
 * the report, so a test run leaves the checkout as it was. `npm run screenshots` sets
 * RS_UPDATE_SCREENSHOTS=1 to refresh the ones the README shows, in e2e/screenshots/.
 */
const README_SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots');
const updateReadmeScreenshots = process.env.RS_UPDATE_SCREENSHOTS === '1';

test('screenshots of the login, worklist and viewer screens', async ({ loginPage, signIn, worklist, viewer, demo, page }, testInfo) => {
  const shoot = async (name: string) => {
    const file = updateReadmeScreenshots ? path.join(README_SCREENSHOTS, `${name}.png`) : testInfo.outputPath(`${name}.png`);
    await page.screenshot({ path: file });
    await testInfo.attach(name, { path: file, contentType: 'image/png' });
  };
  await loginPage.goto();
  await shoot('login');

  await signIn('rad.chen');
  await shoot('worklist');

  const study = demo.cohort.studies.find((s) => s.accessionNumber === 'RS24031201');
  if (!study) throw new Error('RS24031201 is not in the demo data');
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0 });
  await viewer.scrollToSlice(40);
  await viewer.waitForRendered({ imageIndex: 40 });
  await viewer.tool('Length').click();
  await viewer.dragBetweenImagePoints({ x: 130, y: 300 }, { x: 250, y: 300 });
  await expect(viewer.measurements).toHaveCount(1);
  // The thumbnails draw from the loaded images; wait until every series shows its progress.
  await expect(viewer.thumbnails).toHaveCount(study.series.length);
  await shoot('viewer');
});
