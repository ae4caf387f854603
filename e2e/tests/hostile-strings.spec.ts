import { expect, test } from '../support/fixtures.ts';

const SCRIPT = '<script>alert(1)</script>';
const IMG = '<img src=x onerror=alert(1)>';

test('patient and study strings with <script> and <img onerror> render as text and run nothing', async ({ signIn, worklist, viewer, page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const { user } = await signIn('pat.mallory');
  await expect(page.getByTestId('signed-in-user')).toContainText(`${SCRIPT} Mallory ${IMG}`);
  const row = worklist.row(user.studies[0] ?? '');
  await expect(row).toContainText(`${SCRIPT}, Mallory`);
  await expect(row).toContainText(`CT ${SCRIPT}${IMG}`);

  await worklist.open(user.studies[0] ?? '');
  await viewer.waitForRendered({ imageIndex: 0 });
  await expect(viewer.overlayPatient).toContainText(`${SCRIPT}, Mallory`);
  await expect(viewer.overlayStudy).toContainText(IMG);
  await expect(viewer.thumbnails.first()).toContainText(IMG);

  // No element was made from the strings, and nothing ran.
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.evaluate('document.querySelectorAll("script:not([src])").length')).toBe(0);
  expect(dialogs).toEqual([]);
});
