import { expect, test, type Page } from '@playwright/test';
import { adminPassword, hydrated, logIn, snapBoth } from './helpers';

// Read-model lag against the demo fleet's projector, measured by the hub's heartbeats: the
// Lag page, a read model's page with its chart, and a breach after pausing the projector.

async function projectorFault(page: Page, button: string, shown: RegExp) {
  await page.goto('/admin/demo');
  await hydrated(page);
  const row = page.locator('[data-testid="demo-fleet"] tr[data-instance="projector-1"]');
  await row.getByRole('button', { name: button }).click();
  await expect(row.locator('td').nth(2)).toHaveText(shown);
}

test('the Lag page shows the orders read model live against its 10 ms SLO', async ({ page }) => {
  // Several live refreshes to wait for on a loaded 2-core machine (it took 29-38 s there).
  test.setTimeout(75_000);
  await logIn(page, 'admin', adminPassword);
  await page.locator('nav.nav').getByRole('link', { name: 'Lag' }).click();
  await expect(page).toHaveURL(/\/lag$/);
  await hydrated(page);
  const row = page.locator('[data-testid="lag-list"] tr[data-read-model="orders"]');
  await expect(row.getByTestId('lag-state')).toHaveText('ok', { timeout: 20_000 });
  await expect(row.getByTestId('lag-current')).toHaveText(/^\d+(\.\d+)? (µs|ms)$/);
  await expect(row).toContainText('10 ms');
  await snapBoth(page, 'lag-list');

  await row.getByRole('link', { name: 'orders' }).click();
  await expect(page).toHaveURL(/\/lag\/orders$/);
  await hydrated(page);
  await expect(page.getByTestId('lag-facts')).toContainText('sqlite://demo/source.db');
  await expect(page.getByTestId('lag-positions')).toContainText('behind');
  const chart = page.getByTestId('lag-chart');
  await expect(chart.locator('svg').first()).toBeVisible();
  await expect(chart).toContainText('SLO 10 ms');
  await expect(chart).toContainText('p99 (per');
  await expect(page.getByTestId('positions-chart')).toBeVisible();
  await expect(page.getByTestId('lag-distribution')).toContainText('ms');
  await snapBoth(page, 'lag-read-model');

  // The window and the log scale live in the URL.
  await page.getByTestId('lag-window').getByRole('link', { name: '5m' }).click();
  await expect(page).toHaveURL(/window=5m/);
  await page.getByTestId('log-scale').click();
  await expect(page).toHaveURL(/scale=log/);
  await expect(page.getByTestId('log-scale')).toHaveText('linear scale');

  // The projector's service page links to its read model.
  await page.goto('/services/projector');
  await hydrated(page);
  await expect(page.getByTestId('service-read-models').getByRole('link', { name: 'orders' })).toBeVisible();
});

test('pausing the projector from the Demo page is a breach within a second, kept once it ends', async ({ page }) => {
  test.setTimeout(90_000);
  await logIn(page, 'admin', adminPassword);
  await page.goto('/lag/orders?window=5m');
  await hydrated(page);
  await expect(page.getByTestId('lag-facts').getByTestId('lag-state')).toHaveText('ok', { timeout: 20_000 });

  await projectorFault(page, 'pause projector', /paused/);
  const paused = Date.now();
  await page.goto('/lag/orders?window=5m');
  await hydrated(page);
  const facts = page.getByTestId('lag-facts');
  await expect(facts.getByTestId('lag-state')).toHaveText('breach', { timeout: 5_000 });
  // The page polls every second: the breach is there within the pause, the lag "at least".
  expect(Date.now() - paused).toBeLessThan(8_000);
  await expect(facts.getByTestId('lag-current')).toHaveText(/^≥ /);
  await expect(page.getByTestId('lag-breaches')).toContainText('ongoing');
  await page.goto('/');
  await hydrated(page);
  await expect(page.getByTestId('tile-lag')).toHaveClass(/bad/);
  await expect(page.getByTestId('read-models-behind')).toContainText('orders');
  await page.goto('/lag/orders?window=5m');
  await hydrated(page);
  await snapBoth(page, 'lag-breach');

  await projectorFault(page, 'clear faults', /none/);
  await page.goto('/lag/orders?window=5m');
  await hydrated(page);
  await expect(page.getByTestId('lag-facts').getByTestId('lag-state')).toHaveText('ok', { timeout: 15_000 });
  const kept = page.getByTestId('lag-breaches').locator('tbody tr').first();
  // It ends at the first probe back under the SLO (on a loaded machine, some seconds on).
  await expect(kept).not.toContainText('ongoing', { timeout: 30_000 });
  await expect(kept.locator('td').nth(3)).toHaveText(/\d+(\.\d+)? (s|ms)/);
  await snapBoth(page, 'lag-breach-ended');
});
