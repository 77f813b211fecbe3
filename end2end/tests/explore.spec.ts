import { expect, test } from '@playwright/test';
import { adminPassword, hydrated, logIn, snap } from './helpers';

test('the metric explorer charts and lists the series of a family', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  await page.locator('nav.nav').getByRole('link', { name: 'Explorer' }).click();
  await expect(page).toHaveURL(/\/explore$/);
  await hydrated(page);
  const form = page.getByTestId('explore-form');
  await form.getByLabel('Service').selectOption('orders-api');
  await form.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/service=orders-api/);
  await hydrated(page);
  await form.getByLabel('Metric').selectOption('worker_pool_max_workers');
  await form.getByLabel('Labels').fill('pool=orders-api-workers');
  await form.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/metric=worker_pool_max_workers/);
  const rows = page.getByTestId('explore-series').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('pool="orders-api-workers"');
  await expect(rows.first().locator('td.num').first()).toHaveText('8');
  await expect(page.locator('figure.panel.wide svg')).toBeVisible();
  await snap(page, 'explorer');

  await page.goto('/explore?service=orders-api&metric=worker_pool_max_workers&labels=pool%3Dnone&range=15m');
  await expect(page.getByText('No series match in this range.')).toBeVisible();
  await page.goto('/explore?service=orders-api&metric=x&labels=nonsense&range=15m');
  await expect(page.getByTestId('labels-error')).toContainText('is not name=value');
});
