import { expect, test } from '@playwright/test';
import { adminPassword, hydrated, logIn, snap } from './helpers';

// The hub under test runs the demo fleet with the shipped config (5 s scrape interval).
test.describe.serial('service catalog', () => {
  test('the Services page lists the demo fleet, all up', async ({ page }) => {
    await logIn(page, 'admin', adminPassword);
    await page.locator('nav.nav').getByRole('link', { name: 'Services' }).click();
    await expect(page).toHaveURL(/\/services$/);
    for (const [name, total] of [['orders-api', 2], ['order-writer', 1], ['projector', 1]] as const) {
      await expect(page.locator(`tr[data-service="${name}"] [data-testid="up-count"]`))
        .toHaveText(`${total}/${total} up`, { timeout: 20_000 });
    }
    await snap(page, 'services');

    await hydrated(page);
    await page.getByLabel('Filter').fill('data-platform');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(/q=data-platform/);
    await expect(page.locator('tr[data-service]')).toHaveCount(1);
    await expect(page.locator('tr[data-service="projector"]')).toBeVisible();
  });

  test('stopping an instance from Demo controls turns it down on the page', async ({ page }) => {
    await logIn(page, 'admin', adminPassword);
    await page.locator('nav.nav').getByRole('link', { name: 'Demo' }).click();
    await expect(page).toHaveURL(/\/admin\/demo$/);
    await hydrated(page);
    const row = page.locator('[data-testid="demo-fleet"] tr[data-instance="orders-api-2"]');
    // Stopping asks first.
    page.once('dialog', (dialog) => dialog.accept());
    await row.getByRole('button', { name: 'stop' }).click();
    await expect(row.getByText('stopped').first()).toBeVisible();
    await snap(page, 'demo-controls');

    await page.goto('/services/orders-api');
    await hydrated(page);
    const instance = page.locator('tr[data-instance="orders-api-2"]');
    await expect(instance.getByTestId('health')).toHaveText('down', { timeout: 20_000 });
    await expect(instance).toContainText('connection refused');
    await expect(page.locator('tr[data-instance="orders-api-1"]').getByTestId('health')).toHaveText('up');
    await snap(page, 'service-detail-down');

    await page.goto('/services');
    await expect(page.locator('tr[data-service="orders-api"] [data-testid="up-count"]')).toHaveText('1/2 up');

    await page.goto('/admin/demo');
    await hydrated(page);
    await row.getByRole('button', { name: 'start' }).click();
    await expect(row.getByText('running')).toBeVisible();
    await page.goto('/services/orders-api');
    await expect(page.locator('tr[data-instance="orders-api-2"]').getByTestId('health')).toHaveText('up', { timeout: 20_000 });
  });

  test('an admin reloads the config and sees the outcome', async ({ page }) => {
    await logIn(page, 'admin', adminPassword);
    await page.goto('/admin/config');
    await hydrated(page);
    await expect(page.getByTestId('running-config')).toContainText('name = "orders-api"');
    await page.getByRole('button', { name: 'Reload from file' }).click();
    await expect(page.getByTestId('reload-outcome')).toContainText('Reloaded.');
    await expect(page.getByTestId('reload-outcome')).toContainText('The file has not changed.');
    await snap(page, 'config');
  });
});
