import { expect, test } from '../support/fixtures.ts';

test('a patient sees only their own studies; another patient’s study by URL shows the permission message and no pixels', async ({
  signIn,
  worklist,
  viewer,
  stackUnderTest,
}) => {
  const { user } = await signIn('pat.smith');
  expect((await worklist.studyUids()).sort()).toEqual([...user.studies].sort());

  const someoneElses = stackUnderTest.users.find((u) => u.role === 'patient' && u.username !== user.username)?.studies.find((s) => !user.studies.includes(s));
  if (!someoneElses) throw new Error('the demo data has no other patient study');
  await viewer.gotoStudy(someoneElses);
  await expect(viewer.banner).toContainText('You do not have permission for this study.');
  await expect(viewer.banner).toHaveAttribute('data-error-code', 'STUDY_FORBIDDEN');
  await viewer.expectNoPixels();

  // Their own study still opens.
  await viewer.gotoStudy(user.studies[0] ?? '');
  await viewer.waitForRendered({ imageIndex: 0 });
});
