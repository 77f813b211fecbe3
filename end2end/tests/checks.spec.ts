import { expect, test, type Page } from '@playwright/test';
import { adminPassword, hydrated, logIn, snapBoth } from './helpers';

// Consistency checks against the demo fleet: a lead injects drift from the Demo page, the
// verifier confirms it, a residual batch finds it, the lead reviews each difference, signs
// the run off and exports the CSV.

async function drift(page: Page) {
  await page.goto('/admin/demo');
  await hydrated(page);
  const row = page.locator('[data-testid="demo-fleet"] tr[data-instance="projector-1"]');
  await row.getByRole('button', { name: 'drift 5 rows' }).click();
}

test('drift is confirmed by the verifier, found by a residual run, reviewed and signed off', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, 'admin', adminPassword);
  await page.locator('nav.nav').getByRole('link', { name: 'Checks' }).click();
  await expect(page).toHaveURL(/\/checks$/);
  await hydrated(page);
  await expect(page.locator('[data-testid="checks"] tr[data-check="orders"]')).toBeVisible();
  await snapBoth(page, 'checks-list');
  const runNow = await page.locator('[data-testid="checks"] tr[data-check="orders"] button').first().elementHandle();
  await page.waitForTimeout(5_500);
  expect(await runNow!.evaluate((e) => e.isConnected)).toBe(true);

  await drift(page);
  await page.goto('/checks/orders');
  await hydrated(page);
  const confirmed = page.getByTestId('confirmed');
  await expect(confirmed.locator('tbody tr').first()).toContainText('amount_cents', { timeout: 20_000 });

  // The verifier's own run is its live list, reviewable as it comes: no chunks, no end,
  // nothing to cancel.
  await page.getByRole('link', { name: 'Review what it confirmed' }).click();
  await expect(page).toHaveURL(/\/checks\/orders\/runs\/\d+$/);
  await expect(page.getByTestId('run-state')).toHaveText('live');
  await expect(page.locator('[data-testid="differences"] tbody tr').first()).toContainText('amount_cents');
  await expect(page.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
  await snapBoth(page, 'check-verifier-run');
  await page.goto('/checks/orders');
  await hydrated(page);

  // The runs and the verifier's lists follow in place: a run's link outlives a refresh (one
  // rebuilt between mouse-down and mouse-up loses the click).
  const runLink = await page.locator('[data-testid="runs"] tbody a').first().elementHandle();
  await page.waitForTimeout(2_500);
  expect(await runLink!.evaluate((e) => e.isConnected)).toBe(true);

  // A residual batch, watched to its end.
  await page.getByTestId('run-residual').click();
  await expect(page).toHaveURL(/\/checks\/orders\/runs\/\d+$/);
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 30_000 });
  await expect(page.getByTestId('run-counts')).toContainText('changed');
  const rows = page.locator('[data-testid="differences"] tbody tr');
  await expect(rows.first()).toContainText('amount_cents');
  await snapBoth(page, 'check-run');

  // The review of the first difference: acknowledge, assign, comment, resolve.
  const first = rows.first();
  await first.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(first.getByTestId('review-state')).toHaveText('acknowledged');
  await first.getByPlaceholder('team').fill('orders');
  await first.getByRole('button', { name: 'Assign' }).click();
  await expect(first).toContainText('· orders');
  await first.getByPlaceholder('comment').fill('drift injected from the Demo page');
  await first.getByRole('button', { name: 'Comment' }).click();
  await first.locator('select').selectOption('expected');
  await first.getByRole('button', { name: 'Resolve' }).click();
  await expect(first.getByTestId('review-state')).toHaveText('resolved');
  await first.getByRole('button', { name: 'History' }).click();
  await expect(first.getByTestId('history')).toContainText('drift injected from the Demo page');

  // Filters live in the URL.
  await page.getByTestId('difference-filters').locator('select[name="state"]').selectOption('resolved');
  await page.getByTestId('difference-filters').getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/state=resolved/);
  await expect(page.locator('[data-testid="differences"] tbody tr')).toHaveCount(1);

  await page.getByTestId('sign-off').click();
  await expect(page.getByTestId('signed-off')).toContainText('Reviewed by admin');
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const csv = await download;
  expect(csv.suggestedFilename()).toMatch(/orders-run-\d+\.csv/);
  await snapBoth(page, 'check-run-signed');

  // A check's page left open draws the trend again once another residual run has finished.
  await page.goto('/checks/orders');
  await hydrated(page);
  const trend = page.getByTestId('trend-differences');
  const before = await trend.innerHTML();
  const started = await page.request.post('/api/v1/checks/orders/runs', { data: { mode: 'residual' } });
  expect(started.status()).toBe(200);
  await expect.poll(() => trend.innerHTML(), { timeout: 30_000 }).not.toBe(before);
});
