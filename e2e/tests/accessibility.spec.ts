import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';

// WCAG 2.1 AA as axe-core checks it (contrast of text and controls included), on each screen, at
// the smallest screen the app supports: 1024×768. Serious and critical findings fail the test.

test.use({ viewport: { width: 1024, height: 768 } });
// axe walks each whole screen (the viewer's while its images load): slow on a busy machine.
test.describe.configure({ timeout: 240_000 });

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .flatMap((violation) => violation.nodes.map((node) => `${violation.id} (${violation.impact}): ${node.target.join(' ')} — ${node.failureSummary ?? ''}`));
}

interface PageGlobals {
  document: { documentElement: { scrollWidth: number; clientWidth: number } };
}

function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as PageGlobals).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}

test('the login screen', async ({ loginPage, page }) => {
  await loginPage.goto();
  await expect(loginPage.username).toBeFocused();
  expect(await seriousViolations(page)).toEqual([]);
  // A failed sign-in's message is part of the screen too.
  await loginPage.username.fill('nobody');
  await loginPage.password.fill('wrong password');
  await loginPage.submit.click();
  await expect(loginPage.error).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});

test('the worklist: the search has the focus, every row can be opened without scrolling sideways', async ({ signIn, worklist, page }) => {
  const { user } = await signIn('admin');
  await expect(worklist.search).toBeFocused();
  expect(await seriousViolations(page)).toEqual([]);
  expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  const viewport = page.viewportSize();
  const openButtons = page.getByRole('button', { name: /^Open study/ });
  await expect(openButtons).toHaveCount(user.studies.length);
  for (const button of await openButtons.all()) {
    const box = await button.boundingBox();
    expect(box, 'an Open button is laid out').not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(viewport!.width);
  }
  // The selected row (its own background) keeps its text readable.
  await page.keyboard.press('ArrowDown');
  expect(await seriousViolations(page)).toEqual([]);
});

test('the viewer', async ({ signIn, worklist, viewer, page }) => {
  const { user } = await signIn('rad.chen');
  await worklist.open(user.studies[0] ?? '');
  await viewer.waitForRendered({ imageIndex: 0 });
  expect(await seriousViolations(page)).toEqual([]);
  expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
});
