import { expect, test } from '@playwright/test';
import { adminPassword, hydrated, logIn, snap } from './helpers';

test.describe.serial('shared metric format', () => {
  test('the catalog page shows every family with an example', async ({ page }) => {
    await logIn(page, 'admin', adminPassword);
    await page.locator('nav.nav').getByRole('link', { name: 'Metric catalog' }).click();
    await expect(page.locator('section.family[data-family="http_requests_total"]')).toContainText('route, method, status');
    await expect(page.locator('section.family[data-family="consumer_lag_seconds"] pre')).toContainText('# TYPE consumer_lag_seconds gauge');
    await snap(page, 'metric-catalog');
  });

  test('a service that breaks the format turns red in the matrix', async ({ page }) => {
    // Three scrapes to wait for (green, red, green again) on a loaded machine.
    test.setTimeout(75_000);
    await logIn(page, 'admin', adminPassword);
    // No fault an earlier test may have left on orders-api-1 (it fails only if one is there).
    await page.goto('/admin/demo');
    await hydrated(page);
    const demoRow = page.locator('[data-testid="demo-fleet"] tr[data-instance="orders-api-1"]');
    await demoRow.getByRole('button', { name: 'clear faults' }).click();
    await expect(demoRow.locator('td').nth(2)).toHaveText('none');
    await page.goto('/conformance');
    await hydrated(page);
    const orders = page.locator('tr[data-service="orders-api"]');
    await expect(orders.getByTestId('fail-count')).toHaveText('0', { timeout: 20_000 });
    // The page says what each rule checks, from the rules themselves.
    await expect(page.getByTestId('rule-legend')).toContainText('Every series of a catalog family carries the labels');
    await snap(page, 'conformance-green');

    await page.goto('/admin/demo');
    await hydrated(page);
    const row = page.locator('[data-testid="demo-fleet"] tr[data-instance="orders-api-1"]');
    await row.getByRole('button', { name: 'bad metrics: wrong type' }).click();
    await expect(row).toContainText('bad metrics (wrong type)');

    await page.goto('/conformance');
    await hydrated(page);
    await expect(orders.getByTestId('fail-count')).not.toHaveText('0', { timeout: 20_000 });
    await expect(orders.locator('td.cell.fail').first()).toBeVisible();
    await snap(page, 'conformance-red');

    await orders.getByRole('link', { name: 'orders-api' }).click();
    await expect(page).toHaveURL(/\/services\/orders-api\/conformance$/);
    const typeRule = page.locator('tr[data-rule="type_matches"]');
    await expect(typeRule.getByTestId('rule-status')).toHaveText('fail');
    await expect(typeRule).toContainText('orders-api-1: process_cpu_seconds_total');
    await snap(page, 'service-conformance');

    await page.goto('/admin/demo');
    await hydrated(page);
    await row.getByRole('button', { name: 'clear faults' }).click();
    await expect(row.locator('td').nth(2)).toHaveText('none');
    await page.goto('/conformance');
    await expect(orders.getByTestId('fail-count')).toHaveText('0', { timeout: 20_000 });
  });
});
