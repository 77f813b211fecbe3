import { expect, test, type Page } from '@playwright/test';
import { adminPassword, hydrated, logIn, snap, snapBoth } from './helpers';

// Captures against the demo fleet the e2e hub runs: real CPU and heap profiles and thread
// dumps, taken by clicking as an engineer on call would.

async function demoFault(page: Page, instance: string, fault: string, shown: string) {
  await page.goto('/admin/demo');
  await hydrated(page);
  const row = page.locator(`[data-testid="demo-fleet"] tr[data-instance="${instance}"]`);
  await row.getByRole('button', { name: fault }).click();
  await expect(row.locator('td').nth(2)).toContainText(shown);
}

async function openInstance(page: Page, service: string, instance: string) {
  await page.goto(`/services/${service}`);
  await hydrated(page);
  await page.getByTestId('instances').getByRole('link', { name: instance }).click();
  await expect(page).toHaveURL(new RegExp(`/services/${service}/instances/${instance}$`));
  await hydrated(page);
}

test('a CPU capture with the hot spot on: progress, flamegraph, search, top, callers', async ({ page }) => {
  test.setTimeout(90_000);
  await logIn(page, 'admin', adminPassword);
  await demoFault(page, 'orders-api-1', 'CPU hot spot', 'CPU hot spot');
  await openInstance(page, 'orders-api', 'orders-api-1');
  await page.getByTestId('cpu-seconds').fill('6');
  await page.getByTestId('capture-cpu').click();
  await expect(page).toHaveURL(/\/captures\/\d+$/);
  await hydrated(page);
  const status = page.getByTestId('capture-status');
  await expect(status.getByTestId('state')).toHaveText(/queued|running/);
  await expect(status.locator('progress')).toBeVisible();
  await expect(status).toContainText('s left');
  await snap(page, 'capture-running');
  await expect(status.getByTestId('state')).toHaveText('done', { timeout: 30_000 });

  const flame = page.getByTestId('flamegraph');
  const hot = flame.locator('.frame[data-name="demo::chaos::hot_spot_spin"]');
  await expect(hot.first()).toBeVisible();
  const [hotBox, flameBox] = [await hot.first().boundingBox(), await flame.boundingBox()];
  expect(hotBox!.width / flameBox!.width).toBeGreaterThan(0.5);
  await snap(page, 'capture-flamegraph');

  await page.getByTestId('search').fill('hot_spot');
  await expect(hot.first()).toHaveClass(/match/);
  await expect(page).toHaveURL(/q=hot_spot/);
  await expect(page.getByTestId('matched')).toContainText('of the total');
  await expect(flame.locator('.frame.dim').first()).toBeVisible();

  // Zoom into the hot spot: the callers and callees follow, the zoom is in the URL.
  await hot.first().click();
  await expect(page.getByTestId('neighbours')).toContainText('Called by');
  await expect(page.getByRole('button', { name: 'Reset zoom' })).toBeEnabled();
  await expect(page).toHaveURL(/zoom=\d+/);
  // A shared link opens the same view.
  const shared = page.url();
  await page.goto(shared);
  await hydrated(page);
  await expect(page.getByTestId('search')).toHaveValue('hot_spot');
  await expect(page.getByTestId('neighbours')).toContainText('hot_spot_spin');
  await page.getByRole('button', { name: 'Reset zoom' }).click();
  await expect(page.getByTestId('neighbours')).toHaveCount(0);
  // The runtime's scaffolding collapses; the box stays bounded, the hot spot in view.
  await page.getByTestId('collapse').check();
  await expect(page).toHaveURL(/collapse=1/);
  await expect(flame.locator('.frame[data-name^="tokio::runtime"]')).toHaveCount(0);
  const box = (await page.getByTestId('flame-scroll').boundingBox())!;
  expect(box.height).toBeLessThanOrEqual(641);
  // The hot spot is inside the bounded box as it opens (the box scrolled to the widest path).
  const frame = (await hot.first().boundingBox())!;
  expect(frame.y).toBeGreaterThanOrEqual(box.y - 1);
  expect(frame.y + frame.height).toBeLessThanOrEqual(box.y + box.height + 1);
  await snapBoth(page, 'capture-flamegraph-collapsed');

  await page.getByRole('button', { name: 'Top', exact: true }).click();
  const top = page.getByTestId('top-table');
  await expect(top.locator('tbody tr').first()).toContainText('demo::chaos::hot_spot_spin');
  await top.getByRole('columnheader', { name: 'cum', exact: true }).click();
  await expect(top.getByRole('columnheader', { name: 'cum', exact: true })).toHaveClass(/sorted/);
  await snap(page, 'capture-top');

  await demoFault(page, 'orders-api-1', 'clear faults', 'none');
});

test('two heap profiles of one instance compare in a differential flamegraph', async ({ page }) => {
  test.setTimeout(60_000);
  await logIn(page, 'admin', adminPassword);
  for (let i = 0; i < 2; i++) {
    await openInstance(page, 'orders-api', 'orders-api-2');
    await page.getByTestId('capture-heap').click();
    await expect(page).toHaveURL(/\/captures\/\d+$/);
    await expect(page.getByTestId('capture-status').getByTestId('state')).toHaveText('done', { timeout: 20_000 });
    await expect(page.getByTestId('flamegraph')).toBeVisible();
  }
  await openInstance(page, 'orders-api', 'orders-api-2');
  const rows = page.getByTestId('captures').locator('tbody tr');
  await rows.nth(0).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await page.getByTestId('compare').click();
  await expect(page).toHaveURL(/\/captures\/\d+\/diff\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Differential flamegraph' })).toBeVisible();
  await expect(page.getByTestId('flamegraph').locator('.frame').first()).toBeVisible();
  await expect(page.getByTestId('diff-table').locator('tbody tr').first()).toBeVisible();
  // Heap profiles compare in bytes by default; shares are an option.
  await expect(page.getByTestId('diff-table').locator('thead')).toContainText('flat before');
  await page.getByTestId('compare-by').selectOption('share');
  await expect(page.getByTestId('diff-table').locator('thead')).toContainText('flat% before');
  await page.getByTestId('compare-by').selectOption('absolute');
  expect(await page.getByTestId('diff-table').locator('tbody tr').count()).toBeLessThanOrEqual(50);
  await snapBoth(page, 'capture-diff');
  // Opened directly (a shared link), the page hydrates and draws the same.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Differential flamegraph' })).toBeVisible();
});

test('an uploaded jstack dump names both deadlocks and the exhausted pool', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  await page.goto('/services/orders-api');
  await hydrated(page);
  const form = page.getByTestId('upload');
  await form.getByLabel('Kind').selectOption('jstack');
  await form.getByLabel('File', { exact: true }).setInputFiles('../threaddump/fixtures/deadlock.jstack');
  await form.getByRole('button', { name: 'Upload and analyse' }).click();
  await expect(page).toHaveURL(/\/captures\/\d+$/);
  await hydrated(page);
  const deadlocks = page.getByTestId('deadlocks');
  await expect(deadlocks).toContainText('Deadlocks: 2');
  await expect(deadlocks).toContainText('ledger-reader ⇄ ledger-writer');
  await expect(deadlocks).toContainText('waits for');
  const pool = page.getByTestId('pools').locator('tr[data-pool="orders-exec"]');
  await expect(pool).toContainText('exhausted');
  // The dump's own text is a click away.
  const raw = await page.getByTestId('raw-dump').getAttribute('href');
  const text = await (await page.request.get(raw!)).text();
  expect(text).toContain('Full thread dump');
  await expect(page.getByTestId('groups').locator('details').first()).toContainText('4 ×');
  await snap(page, 'capture-jstack');

  // A file that is no dump comes back to the service page with the reason.
  await page.goto('/services/orders-api');
  await hydrated(page);
  await form.getByLabel('Kind').selectOption('pprof');
  await form.getByLabel('File', { exact: true }).setInputFiles({ name: 'x.pb.gz', mimeType: 'application/octet-stream', buffer: Buffer.from('nope') });
  await form.getByRole('button', { name: 'Upload and analyse' }).click();
  await expect(page.getByTestId('upload-error')).toContainText('not a profile');
});

test('a long CPU capture is cancelled from its page', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  await openInstance(page, 'projector', 'projector-1');
  await page.getByTestId('cpu-seconds').fill('60');
  await page.getByTestId('capture-cpu').click();
  await expect(page).toHaveURL(/\/captures\/\d+$/);
  await hydrated(page);
  await expect(page.getByTestId('capture-status').getByTestId('state')).toHaveText('running');
  await page.getByTestId('cancel').click();
  await expect(page.getByTestId('capture-status').getByTestId('state')).toHaveText('failed');
  await expect(page.getByTestId('capture-error')).toHaveText('cancelled by admin');
});

test('pool exhaustion shows as an active fault while it holds the workers, and clears', async ({ page }) => {
  await logIn(page, 'admin', adminPassword);
  await demoFault(page, 'orders-api-2', 'pool exhaustion 60 s', 'pool exhausted');
  const row = page.locator('[data-testid="demo-fleet"] tr[data-instance="orders-api-2"]');
  await expect(row.locator('td').nth(2)).toContainText(/pool exhausted \(\d+ s left\)/);
  await snap(page, 'demo-pool-exhausted');
  await row.getByRole('button', { name: 'clear faults' }).click();
  await expect(row.locator('td').nth(2)).toHaveText('none');
});
