import { expect, test, type Page } from '@playwright/test';
import { adminPassword, hydrated, logIn, snapBoth } from './helpers';

// Alerts as an engineer meets them: errors for one user group injected from the Demo page
// fire the shipped orders-api rule within a scrape, the alert says the failures share
// user_group=pro, the demo's receiver gets the notice, and the alert is acknowledged and
// silenced from its page; the incident it opened lists the chaos and takes a thread dump.

function demoRow(page: Page, instance: string) {
  return page.locator(`[data-testid="demo-fleet"] tr[data-instance="${instance}"]`);
}

async function errorsForPro(page: Page, on: boolean) {
  await page.goto('/admin/demo');
  await hydrated(page);
  if (on) {
    await page.getByTestId('size-errors').fill('100');
    await page.getByTestId('size-group').selectOption('pro');
  }
  for (const instance of ['orders-api-1', 'orders-api-2']) {
    const row = demoRow(page, instance);
    await row.getByRole('button', { name: on ? 'errors 100% for pro' : 'clear faults' }).click();
    await expect(row.locator('td').nth(2)).toHaveText(on ? /errors 100% for pro/ : /none/);
  }
}

test('errors for one user group fire an alert that names the group, acknowledged and silenced from its page', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, 'admin', adminPassword);
  await errorsForPro(page, true);

  await page.locator('nav.nav').getByRole('link', { name: 'Alerts' }).click();
  await expect(page).toHaveURL(/\/alerts$/);
  await hydrated(page);
  const row = page.locator('tr[data-alert]').filter({ hasText: 'orders-api-error-ratio' }).first();
  await expect(row.getByTestId('alert-state')).toHaveText('firing', { timeout: 30_000 });
  await expect(row.getByTestId('alert-context')).toContainText('user_group=pro', { timeout: 15_000 });
  await snapBoth(page, 'alerts-list');

  // The tabs filter by state, in the URL.
  await page.getByRole('link', { name: 'Firing' }).click();
  await expect(page).toHaveURL(/state=firing/);
  await expect(page.locator('tr[data-alert]').first().getByTestId('alert-state')).toHaveText('firing');

  await page.locator('tr[data-alert]').filter({ hasText: 'orders-api-error-ratio' }).first().getByRole('link', { name: 'orders-api-error-ratio' }).click();
  await expect(page).toHaveURL(/\/alerts\/\d+$/);
  await hydrated(page);
  await expect(page.getByTestId('context-row').filter({ hasText: 'user_group' })).toContainText('pro');
  await expect(page.getByTestId('alert-trace').first()).toHaveText(/^[0-9a-f]{32}$/);
  // The signal's panel: the value with its threshold line, the episode shaded.
  const signal = page.getByTestId('alert-signal');
  await expect(signal.locator('svg')).toBeVisible();
  await expect(signal).toContainText('threshold (above)');
  await expect(page.getByTestId('deliveries')).toContainText('demo-receiver', { timeout: 15_000 });
  await expect(page.getByTestId('deliveries')).toContainText('200');
  await snapBoth(page, 'alert-page');

  await page.getByTestId('ack').click();
  await expect(page.getByText('acknowledged', { exact: true })).toBeVisible();
  await page.getByTestId('silence').click();
  await expect(page.getByText('silenced', { exact: true })).toBeVisible();
  // The Silenced tab lists it; the Services page counts it among orders-api's firing alerts.
  await page.goto('/alerts?state=silenced');
  await hydrated(page);
  await expect(page.locator('tr[data-alert]').filter({ hasText: 'orders-api-error-ratio' })).toHaveCount(1);
  await page.goto('/services');
  await expect(page.locator('tr[data-service="orders-api"]').getByTestId('firing')).toContainText('firing');

  // The silence is listed, and ended from there.
  await page.goto('/silences');
  await hydrated(page);
  const silence = page.locator('tr[data-silence]').filter({ hasText: 'alertname=orders-api-error-ratio' });
  await expect(silence).toBeVisible();
  await snapBoth(page, 'silences');
  await silence.getByRole('button', { name: 'End' }).click();
  await expect(silence).toHaveCount(0);

  // The demo's own receiver got the notice, in Alertmanager's format.
  await page.goto('/admin/demo');
  await hydrated(page);
  const got = page.getByTestId('demo-notification').filter({ hasText: 'orders-api-error-ratio on orders-api' }).first();
  await expect(got).toContainText('orders-api-error-ratio on orders-api');
  await expect(got).toContainText('user_group=pro');
  await snapBoth(page, 'demo-receiver');

  // The alert opened an incident: the chaos that caused it is among the changes just before,
  // and a thread dump of the worst instance is one click away.
  await page.goto('/incidents');
  await hydrated(page);
  await page.locator('tr[data-incident]').filter({ hasText: 'orders-api-error-ratio' }).first().getByRole('link').first().click();
  await expect(page).toHaveURL(/\/incidents\/\d+$/);
  await hydrated(page);
  await expect(page.getByTestId('incident-changes')).toContainText('demo chaos on orders-api-');
  await expect(page.getByTestId('timeline')).toContainText('fired');
  await snapBoth(page, 'incident');
  await page.getByTestId('take-threads').click();
  await page.getByTestId('taken-capture').click();
  await expect(page).toHaveURL(/\/captures\/\d+$/);

  await errorsForPro(page, false);
});
