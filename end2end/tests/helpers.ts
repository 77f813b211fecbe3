import { expect, type Page } from '@playwright/test';

export const adminPassword = process.env.ADMIN_PASSWORD ?? 'e2e-admin-password';

/** Waits until the page has hydrated: a click before that is lost. */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export async function logIn(page: Page, username: string, password: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('current-user')).toHaveText(username);
  await hydrated(page);
}

/** Keeps a picture of each page as a test artifact (end2end/test-results/screenshots). */
export async function snap(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

/** A picture at 1300 px and one at 420 px wide (a phone), as the pages must read at both. */
export async function snapBoth(page: Page, name: string) {
  await page.setViewportSize({ width: 1300, height: 900 });
  await snap(page, `${name}-1300`);
  await page.setViewportSize({ width: 420, height: 900 });
  await page.waitForTimeout(300);
  await snap(page, `${name}-420`);
  await page.setViewportSize({ width: 1300, height: 900 });
}
