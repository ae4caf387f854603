import { expect, type Locator, type Page } from '@playwright/test';

export class WorklistPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly rows: Locator;
  readonly search: Locator;
  readonly count: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { name: 'Worklist' });
    this.rows = page.getByTestId('worklist-row');
    this.search = page.getByRole('searchbox', { name: 'Search studies' });
    this.count = page.getByTestId('worklist-count');
  }

  async waitForStudies(expectedCount: number): Promise<void> {
    await expect(this.heading).toBeVisible();
    await expect(this.rows).toHaveCount(expectedCount);
  }

  async studyUids(): Promise<string[]> {
    return this.rows.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-study-uid') ?? ''));
  }

  row(studyInstanceUid: string): Locator {
    return this.page.locator(`[data-testid="worklist-row"][data-study-uid="${studyInstanceUid}"]`);
  }

  async open(studyInstanceUid: string): Promise<void> {
    await this.row(studyInstanceUid).getByRole('button', { name: /^Open study/ }).click();
  }
}
