import { expect, test } from '@playwright/test';
import { adminPassword, hydrated, logIn, snap } from './helpers';

test('a service page draws its standard panels for the range in the URL', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  await page.goto('/services/orders-api');
  await hydrated(page);
  const rate = page.locator('figure.panel[data-panel="request_rate"]');
  await expect(rate).toHaveAttribute('data-has-data', 'true', { timeout: 30_000 });
  await expect(rate.locator('svg')).toBeVisible();
  await expect(rate).toContainText('orders-api-1');
  await expect(page.locator('figure.panel')).toHaveCount(4);
  await expect(page.locator('figure.panel[data-panel="pool_utilisation"] figcaption')).toContainText('(%)');
  await snap(page, 'panels');

  await page.getByTestId('range-picker').getByRole('link', { name: '15m' }).click();
  await expect(page).toHaveURL(/\/services\/orders-api\?range=15m$/);
  await expect(page.getByTestId('range-picker').getByRole('link', { name: '15m' })).toHaveClass(/active/);
  await expect(rate).toHaveAttribute('data-has-data', 'true');

  // A range long before the hub started: every panel says there is nothing to draw.
  await page.goto('/services/orders-api?range=custom&from=2020-01-01T00:00&to=2020-01-01T01:00');
  await hydrated(page);
  await expect(rate).toHaveAttribute('data-has-data', 'false');
  await expect(rate).toContainText('No data in this range');
  await expect(page.locator('input[name="from"]')).toHaveValue('2020-01-01T00:00');
});
