import type { Locator, Page } from '@playwright/test';

export class LoginPage {
  readonly page: Page;
  readonly username: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly error: Locator;
  readonly sessionEnded: Locator;

  constructor(page: Page) {
    this.page = page;
    this.username = page.getByLabel('User name');
    this.password = page.getByLabel('Password');
    this.submit = page.getByRole('button', { name: 'Sign in' });
    this.error = page.getByRole('alert');
    this.sessionEnded = page.getByTestId('session-ended');
  }

  async goto(): Promise<void> {
    await this.page.goto('/');
    await this.username.waitFor();
  }

  /** Signs in through the form; resolves with the login response's body (token and expiry). */
  async signIn(username: string, password: string): Promise<{ accessToken: string; expiresAt: string }> {
    await this.username.fill(username);
    await this.password.fill(password);
    const [response] = await Promise.all([
      this.page.waitForResponse((r) => r.url().endsWith('/api/auth/login') && r.request().method() === 'POST'),
      this.submit.click(),
    ]);
    if (response.status() !== 200) throw new Error(`login as ${username} answered ${response.status()}: ${await response.text()}`);
    return (await response.json()) as { accessToken: string; expiresAt: string };
  }
}
