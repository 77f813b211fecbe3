import { expect, test, type Page } from '@playwright/test';
import { adminPassword, hydrated, logIn, snapBoth } from './helpers';

// The pages people read at a glance, each at 1300 px and 420 px: home, the services list
// with its key signals, the one chart, the explorer, the instance page, the small things.

async function demoPage(page: Page) {
  await page.goto('/admin/demo');
  await hydrated(page);
}

function demoRow(page: Page, instance: string) {
  return page.locator(`[data-testid="demo-fleet"] tr[data-instance="${instance}"]`);
}

test('home and the services list show a 100 % error ratio and a full pool at once', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, 'admin', adminPassword);
  await page.goto('/');
  await hydrated(page);
  await expect(page.getByTestId('tiles')).toBeVisible();
  await expect(page.getByTestId('tile-down')).toContainText('instances down or not scraping');
  await snapBoth(page, 'home-calm');

  // Errors on every request of orders-api-1, and its pool held: the sizes are the page's.
  await demoPage(page);
  await page.getByTestId('size-errors').fill('100');
  await demoRow(page, 'orders-api-1').getByRole('button', { name: 'errors 100%' }).click();
  await expect(demoRow(page, 'orders-api-1').locator('td').nth(2)).toContainText('errors 100%');
  await page.getByTestId('size-pool').fill('90');
  await demoRow(page, 'orders-api-1').getByRole('button', { name: 'pool exhaustion 90 s' }).click();
  await expect(demoRow(page, 'orders-api-1').locator('td').nth(2)).toContainText('pool exhausted');
  await snapBoth(page, 'demo-sizes');

  await page.goto('/services?sort=errors');
  await hydrated(page);
  const orders = page.locator('[data-testid="services"] tr[data-service="orders-api"]');
  await expect(orders.locator('td.signal.bad[data-signal="error_ratio"]')).toBeVisible({ timeout: 40_000 });
  await expect(orders.locator('td.signal.bad[data-signal="pool_utilisation"]')).toContainText('100 %', { timeout: 40_000 });
  await expect(page.locator('[data-testid="services"] tbody tr').first()).toHaveAttribute('data-service', 'orders-api');
  await expect(orders.locator('svg.spark path').first()).toHaveAttribute('d', /M/);
  await snapBoth(page, 'services-signals');

  // Home says so, and the team filter is in the URL.
  await page.goto('/?team=orders');
  await hydrated(page);
  await expect(page.getByTestId('tile-signals')).toHaveClass(/bad/, { timeout: 20_000 });
  await expect(page.getByTestId('bad-signals')).toContainText('orders-api');
  await expect(page.getByTestId('team-filter').getByRole('link', { name: 'orders' })).toHaveClass(/active/);
  await snapBoth(page, 'home-trouble');
  await page.goto('/?team=data-platform');
  await hydrated(page);
  await expect(page.getByTestId('tile-signals')).toHaveClass(/ok/);

  await demoPage(page);
  await demoRow(page, 'orders-api-1').getByRole('button', { name: 'clear faults' }).click();
  await expect(demoRow(page, 'orders-api-1').locator('td').nth(2)).toHaveText('none');
});

test('a panel has its legend below, a hover with the time and values, and refuses a reversed range', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  await page.goto('/services/orders-api?range=15m');
  await hydrated(page);
  const latency = page.locator('figure.panel[data-panel="latency_p95"]');
  await expect(latency.getByTestId('chart-legend')).toContainText('orders-api-1');
  await expect(latency.getByTestId('chart-legend')).toContainText(/ms|s/);
  const plot = latency.locator('.chart-plot');
  const box = (await plot.boundingBox())!;
  await plot.hover({ position: { x: box.width * 0.85, y: box.height * 0.5 } });
  await expect(latency.getByTestId('chart-tip')).toContainText('UTC');
  await expect(latency.getByTestId('chart-tip')).toContainText('orders-api');
  await snapBoth(page, 'panels-hover');

  const picker = page.getByTestId('range-picker');
  await picker.locator('input[name="from"]').fill('2026-12-01T10:00');
  await picker.locator('input[name="to"]').fill('2026-12-01T09:00');
  await picker.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('range-error')).toContainText('ends before it starts');
  await expect(page).toHaveURL(/range=15m/);
});

test('the explorer fills its metrics on picking a service, draws rates and quantiles, and says a bad filter', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  await page.goto('/explore');
  await hydrated(page);
  const form = page.getByTestId('explore-form');
  await form.getByLabel('Service').selectOption('orders-api');
  await expect(page).toHaveURL(/service=orders-api/);
  await expect(form.getByLabel('Metric').locator('option[value="http_requests_total"]')).toHaveCount(1);
  await form.getByLabel('Metric').selectOption('http_requests_total');
  await form.getByRole('button', { name: 'Show' }).click();
  await expect(page.locator('figure.panel.wide figcaption')).toContainText('rate per second');
  await page.goto('/explore?service=orders-api&metric=http_request_duration_seconds&range=15m');
  await hydrated(page);
  await expect(page.locator('figure.panel.wide figcaption')).toContainText('p50, p95, p99');
  await snapBoth(page, 'explore-quantiles');
  await page.goto('/explore?service=orders-api&metric=worker_pool_max_workers&labels=pool&range=15m');
  await hydrated(page);
  await expect(page.getByTestId('labels-error')).toContainText('is not name=value');
  await expect(page.getByTestId('explore-form').getByLabel('Labels')).toHaveValue('pool');
});

test('the instance page shows the instance first and keeps the CPU seconds', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  await page.goto('/services/orders-api/instances/orders-api-2');
  await hydrated(page);
  const health = page.getByTestId('instance-health');
  await expect(health.getByTestId('health')).toHaveText('up');
  await expect(page.getByTestId('instance-signals')).toContainText('Request rate');
  const [healthBox, buttonBox] = [await health.boundingBox(), await page.getByTestId('capture-cpu').boundingBox()];
  expect(healthBox!.y).toBeLessThan(buttonBox!.y);
  await page.getByTestId('cpu-seconds').fill('12');
  await expect(page.getByTestId('capture-cpu')).toContainText('12 s');
  await snapBoth(page, 'instance');
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('cpu-seconds')).toHaveValue('12');
});

test('an unknown service, instance or capture says so once, with a way back', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  for (const path of ['/services/no-such-service', '/services/orders-api/instances/nope', '/captures/999999']) {
    await page.goto(path);
    await hydrated(page);
    const note = page.getByTestId('not-found');
    await expect(note).toHaveCount(1);
    await expect(note.getByRole('link')).toHaveAttribute('href', '/services');
    await expect(page.locator('[role="alert"]')).toHaveCount(0);
  }
  await snapBoth(page, 'not-found');
});

test('the navigation marks the page and folds into a menu on a phone', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  await page.goto('/conformance');
  await hydrated(page);
  await expect(page.locator('nav.nav a[aria-current="page"]')).toHaveText('Conformance');
  await page.setViewportSize({ width: 420, height: 800 });
  await expect(page.locator('nav.nav')).toBeHidden();
  await page.getByRole('button', { name: 'Menu' }).click();
  await expect(page.locator('nav.nav')).toBeVisible();
  await page.locator('nav.nav').getByRole('link', { name: 'Services' }).click();
  await expect(page).toHaveURL(/\/services$/);
  await expect(page.locator('nav.nav')).toBeHidden();
  // A wide table scrolls in its card; the page itself never scrolls sideways.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(421);
  await page.setViewportSize({ width: 1300, height: 900 });
});

test('a new token can be copied, revoking asks first and takes the secret off the page', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await logIn(page, 'admin', adminPassword);
  await page.goto('/tokens');
  await hydrated(page);
  await page.getByLabel('Name').fill('copy-me');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = await page.getByTestId('token-secret').innerText();
  await page.getByTestId('copy-secret').click();
  await expect(page.getByTestId('copy-secret')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await snapBoth(page, 'tokens');
  const row = page.getByTestId('tokens').locator('tr', { hasText: 'copy-me' });
  page.once('dialog', (dialog) => dialog.dismiss());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(row.getByRole('button', { name: 'Revoke' })).toBeVisible();
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(row).toContainText('revoked');
  await expect(page.getByTestId('token-secret')).toHaveCount(0);
});
