import { expect, test, type Page } from '@playwright/test';
import { adminPassword, hydrated, logIn, snapBoth } from './helpers';

// The troubleshooting flow as the "done when" has it, on the shipped config: quotes is
// deployed from the Demo page, then fails every request; the portfolio BFF's alert fires; its
// incident shows quotes' deploy among the changes before, quotes as the first failing service
// in the traces, and the thread dump of quotes taken as it fired; the trace and the dump are a
// click away. Then a dot on the BFF's latency panel opens the trace of that request.

function demoRow(page: Page, instance: string) {
  return page.locator(`[data-testid="demo-fleet"] tr[data-instance="${instance}"]`);
}

async function quotesFailing(page: Page, on: boolean) {
  await page.goto('/admin/demo');
  await hydrated(page);
  const row = demoRow(page, 'quotes-1');
  if (on) {
    await page.getByTestId('size-errors').fill('100');
    await row.getByRole('button', { name: 'errors 100%', exact: true }).click();
    await expect(row.locator('td').nth(2)).toHaveText(/errors 100%/);
  } else {
    await row.getByRole('button', { name: 'clear faults' }).click();
    await expect(row.locator('td').nth(2)).toHaveText(/none/);
  }
}

test('quotes deployed then failing: the BFF alert opens an incident that names the deploy, quotes and its thread dump', async ({ page }) => {
  test.setTimeout(180_000);
  await logIn(page, 'admin', adminPassword);

  await page.goto('/admin/demo');
  await hydrated(page);
  const deploy = page.getByTestId('deploy-quotes');
  const before = (await deploy.textContent()) ?? '';
  const next = before.split('→')[1].trim();
  await deploy.click();
  await expect(deploy).toContainText(`${next} →`, { timeout: 30_000 });
  await quotesFailing(page, true);

  await page.locator('nav.nav').getByRole('link', { name: 'Alerts' }).click();
  await hydrated(page);
  const row = page.locator('tr[data-alert]').filter({ hasText: 'portfolio-bff-error-ratio' }).first();
  await expect(row.getByTestId('alert-state')).toHaveText('firing', { timeout: 60_000 });
  await row.getByRole('link', { name: 'portfolio-bff-error-ratio' }).click();
  await expect(page).toHaveURL(/\/alerts\/\d+$/);
  await hydrated(page);
  await page.getByTestId('alert-incident').click();
  await expect(page).toHaveURL(/\/incidents\/\d+$/);
  await hydrated(page);

  await expect(page.getByTestId('incident-first-failing-service')).toHaveText('quotes');
  const changes = page.getByTestId('incident-changes');
  await expect(changes).toContainText('quotes');
  await expect(changes).toContainText(next);
  await expect(changes).toContainText('deploy');
  // The thread dump is taken once the example traces' spans have arrived (a second or two).
  await expect(async () => {
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('incident-capture')).toContainText('thread dump of quotes-1', { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await snapBoth(page, 'incident-quotes');

  // An example trace: the BFF failed because quotes did.
  const incident = page.url();
  await page.getByTestId('incident-traces').locator('a').first().click();
  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}$/);
  await hydrated(page);
  await expect(page.getByTestId('first-failing-service')).toHaveText('quotes');
  await expect(page.getByTestId('span').filter({ hasText: 'portfolio-bff' }).first()).toBeVisible();
  await snapBoth(page, 'trace-quotes');

  // The thread dump taken as it fired is quotes'.
  await page.goto(incident);
  await hydrated(page);
  await page.getByTestId('incident-capture').click();
  await expect(page).toHaveURL(/\/captures\/\d+$/);
  await expect(page.locator('p.crumbs')).toContainText('quotes-1');
  await expect(page.getByTestId('raw-dump')).toBeVisible({ timeout: 30_000 });

  await quotesFailing(page, false);

  // A dot on the BFF's latency panel is one request: it opens that request's trace.
  await page.goto('/services/portfolio-bff');
  await hydrated(page);
  // The newest dot: drawn last, it is on top of any that overlap it.
  const dot = page.getByTestId('exemplar').last();
  await expect(dot).toBeVisible({ timeout: 30_000 });
  await dot.click();
  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}$/);
  await expect(page.getByTestId('waterfall')).toBeVisible();
  await expect(page.getByTestId('span').first()).toContainText('portfolio-bff');
});
