/**
 * Fixtures for every spec: the stack under test and its demo data (per worker), the page objects,
 * and `signIn`, which logs a demo user in through the login form.
 */
import { test as base, expect } from '@playwright/test';
import type { DemoManifest } from '@reading-station/demo-data';
import { LoginPage } from '../pages/login-page.ts';
import { ViewerPage } from '../pages/viewer-page.ts';
import { WorklistPage } from '../pages/worklist-page.ts';
import { readDemoDataset } from './demo-data.ts';
import { demoUser, readStackUnderTest, type DemoUserLogin, type StackUnderTest } from './stack-under-test.ts';

export interface SignedIn {
  user: DemoUserLogin;
  /** From the login response, to look for it where it must not be. */
  accessToken: string;
  /** When this first access token expires (ISO 8601). */
  expiresAt: string;
}

interface TestFixtures {
  /** Automatic: fails any test whose page had something refused by the Content-Security-Policy. */
  contentSecurityPolicyGuard: void;
  /** Automatic: fails any test whose page threw an uncaught error or left a promise rejection unhandled. */
  pageErrorGuard: void;
  loginPage: LoginPage;
  worklist: WorklistPage;
  viewer: ViewerPage;
  /** Opens the app and signs the demo user in; resolves once the worklist shows their studies. */
  signIn(username: string): Promise<SignedIn>;
}

interface WorkerFixtures {
  stackUnderTest: StackUnderTest;
  demo: DemoManifest;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  stackUnderTest: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use) => {
      await use(readStackUnderTest());
    },
    { scope: 'worker' },
  ],
  demo: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use) => {
      await use(await readDemoDataset());
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ stackUnderTest }, use) => {
    await use(stackUnderTest.baseUrl);
  },
  contentSecurityPolicyGuard: [
    async ({ page }, use) => {
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to (load|execute|connect|create|compile|apply)/i.test(message.text())) refused.push(message.text());
      });
      await use();
      expect(refused, 'the app ran into its Content-Security-Policy').toEqual([]);
    },
    { auto: true },
  ],
  pageErrorGuard: [
    async ({ page }, use) => {
      const errors: string[] = [];
      // Uncaught exceptions and unhandled rejections both arrive as `pageerror` in Chromium.
      page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}${error.stack ? `\n${error.stack.split('\n').slice(1, 4).join('\n')}` : ''}`));
      await use();
      expect(errors, 'the page threw an uncaught error or left a rejection unhandled').toEqual([]);
    },
    { auto: true },
  ],
  loginPage: async ({ page }, use) => {
    await use(new LoginPage(page));
  },
  worklist: async ({ page }, use) => {
    await use(new WorklistPage(page));
  },
  viewer: async ({ page }, use) => {
    await use(new ViewerPage(page));
  },
  signIn: async ({ stackUnderTest, loginPage, worklist }, use) => {
    await use(async (username) => {
      const user = demoUser(stackUnderTest, username);
      await loginPage.goto();
      const { accessToken, expiresAt } = await loginPage.signIn(user.username, user.password);
      await worklist.waitForStudies(user.studies.length);
      return { user, accessToken, expiresAt };
    });
  },
});

export { expect };
