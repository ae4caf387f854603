import { CHROMIUM_EXECUTABLE, CHROMIUM_FLAGS } from '@reading-station/stack';
import { expect, test } from '../support/fixtures.ts';
import { readStackUnderTest, stackTls } from '../support/stack-under-test.ts';

/*
 * The web app over nginx's HTTPS server (a stack started with RS_TLS=1), whatever the rest of the
 * suite uses: Chromium trusts exactly the stack's certificate (its public key pinned with
 * --ignore-certificate-errors-spki-list, no blanket ignoring of certificate errors), signs in and
 * opens a study. Skipped on a stack without TLS.
 */

const tls = (() => {
  try {
    return stackTls(readStackUnderTest().stack);
  } catch {
    return null;
  }
})();

test.skip(!tls, 'the stack under test has no HTTPS server (start it with RS_TLS=1)');
test.use({
  baseURL: tls?.url ?? '',
  launchOptions: { executablePath: CHROMIUM_EXECUTABLE, args: [...CHROMIUM_FLAGS, `--ignore-certificate-errors-spki-list=${tls?.spkiHash ?? ''}`] },
});

test('over HTTPS: sign in, open a study, its first image renders; answers carry HSTS', async ({ signIn, worklist, viewer, demo, page }) => {
  const hsts: string[] = [];
  page.on('response', (response) => {
    if (response.url().startsWith(`${tls?.url}/api/`)) hsts.push(response.headers()['strict-transport-security'] ?? 'none');
  });
  const { user } = await signIn('rad.chen');
  expect(page.url().startsWith(`${tls?.url}/`)).toBe(true);
  const study = demo.cohort.studies.find((s) => user.studies.includes(s.studyInstanceUid));
  if (!study) throw new Error('rad.chen has no study in the demo data');
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0 });
  expect(hsts.length).toBeGreaterThan(0);
  expect(new Set(hsts)).toEqual(new Set(['max-age=31536000']));
});
