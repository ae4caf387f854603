import { LoginPage } from '../pages/login-page.ts';
import { ViewerPage } from '../pages/viewer-page.ts';
import { WorklistPage } from '../pages/worklist-page.ts';
import { demoUser } from '../support/stack-under-test.ts';
import { expect, test } from './electron-fixtures.ts';

// Both specs run in Electron where a binary exists, else in the Chromium desktop host
// (electron-fixtures.ts).

test('the desktop app signs in to the configured server and renders a study', async ({ desktopWindow, stackUnderTest }) => {
  const user = demoUser(stackUnderTest, 'rad.chen');
  const login = new LoginPage(desktopWindow);
  await login.username.waitFor();
  // Desktop only: the server is chosen on the login screen.
  const serverUrl = desktopWindow.getByLabel('Server URL');
  await expect(serverUrl).toBeVisible();
  await serverUrl.fill(stackUnderTest.baseUrl);
  await login.username.fill(user.username);
  await login.password.fill(user.password);
  await login.submit.click();

  const worklist = new WorklistPage(desktopWindow);
  // Signing in to a server the page was not loaded for reloads it (its CSP names the server).
  await expect(worklist.heading).toBeVisible({ timeout: 60_000 });
  await worklist.waitForStudies(user.studies.length);
  expect((await worklist.studyUids()).sort()).toEqual([...user.studies].sort());
  await worklist.open(user.studies[0] ?? '');
  await new ViewerPage(desktopWindow).waitForRendered({ imageIndex: 0 });
});

test('the desktop login screen offers the server URL field', async ({ desktopWindow }) => {
  await expect(desktopWindow.getByLabel('Server URL')).toBeVisible();
  await expect(desktopWindow.getByRole('button', { name: 'Sign in' })).toBeVisible();
});
