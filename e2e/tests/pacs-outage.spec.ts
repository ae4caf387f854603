import { expect, test } from '../support/fixtures.ts';
import { orthanc } from '../support/stack-under-test.ts';

test('Orthanc stopped while a study is open shows “PACS unreachable”; retry works once it is back', async ({
  signIn,
  worklist,
  viewer,
  demo,
  stackUnderTest,
}) => {
  await signIn('rad.chen');
  const study = demo.cohort.studies.find((s) => s.accessionNumber === 'RS24031201');
  const [first, second] = study?.series ?? [];
  if (!study || !first || !second) throw new Error('RS24031201 is not in the demo data');
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: first.seriesInstanceUid });
  await expect(viewer.thumbnails.first().getByTestId('series-progress')).toContainText(`${first.sliceCount}/${first.sliceCount}`);

  await orthanc(stackUnderTest, 'stop');
  try {
    await viewer.thumbnails.nth(1).click();
    await expect(viewer.banner).toContainText('PACS unreachable');
    await expect(viewer.banner).toHaveAttribute('data-error-code', 'PACS_UNREACHABLE');
  } finally {
    await orthanc(stackUnderTest, 'start');
  }
  await viewer.banner.getByRole('button', { name: 'Retry' }).click();
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: second.seriesInstanceUid });
  await expect(viewer.banner).toHaveCount(0);
});
