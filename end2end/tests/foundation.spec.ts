import { expect, test } from '@playwright/test';
import { adminPassword, hydrated, logIn, snap } from './helpers';

const viewer = `viewer-${Date.now().toString(36)}`;
const viewerPassword = 'viewer-password-1';

test.describe.serial('foundation', () => {
  test('a wrong password is refused with a clear message', async ({ page }) => {
    await page.goto('/login');
    await hydrated(page);
    await snap(page, 'login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toContainText('Wrong username or password');
    await expect(page).toHaveURL(/\/login/);
  });

  test('a page that needs a login sends you to it and back', async ({ page }) => {
    await page.goto('/audit');
    await expect(page).toHaveURL(/\/login\?next=\/audit/);
    await hydrated(page);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(adminPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/audit$/);
    await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  });

  test('the admin sees the shell and creates a viewer', async ({ page }) => {
    await logIn(page, 'admin', adminPassword);
    const nav = page.locator('nav.nav');
    await expect(nav.getByRole('link', { name: 'Users' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Audit' })).toBeVisible();
    await expect(page.locator('.role')).toHaveText('admin');
    await expect(page.getByText('answering')).toBeVisible();
    await snap(page, 'home-admin');

    await nav.getByRole('link', { name: 'Users' }).click();
    await expect(page).toHaveURL(/\/admin\/users$/);
    await hydrated(page);
    const form = page.getByTestId('create-user');
    await form.getByLabel('Username').fill(viewer);
    await form.getByLabel('Password').fill(viewerPassword);
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByRole('button', { name: 'Create user' }).click();
    await expect(page.getByText('User created.')).toBeVisible();
    const row = page.locator(`tr[data-user="${viewer}"]`);
    await expect(row).toBeVisible();
    await expect(row.locator('select')).toHaveValue('viewer');
    await snap(page, 'users');
  });

  test('the viewer logs in, cannot reach the admin page, and logs out', async ({ page }) => {
    await logIn(page, viewer, viewerPassword);
    await expect(page.locator('.role')).toHaveText('viewer');
    const nav = page.locator('nav.nav');
    await expect(nav.getByRole('link', { name: 'Users' })).toHaveCount(0);
    await expect(nav.getByRole('link', { name: 'Audit' })).toHaveCount(0);
    await snap(page, 'home-viewer');

    await page.goto('/admin/users');
    await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
    await expect(page.getByText('needs the admin role; you are viewer')).toBeVisible();
    await expect(page.getByTestId('users')).toHaveCount(0);
    await snap(page, 'admin-denied');

    await hydrated(page);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto('/');
    await expect(page).toHaveURL(/\/login\?next=\//);
  });

  test('a user creates an API token that works once shown', async ({ page, request }) => {
    await logIn(page, viewer, viewerPassword);
    await page.goto('/tokens');
    await hydrated(page);
    await page.getByLabel('Name').fill('e2e-script');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
    expect(secret).toMatch(/^sbt_/);
    await expect(page.getByRole('cell', { name: 'e2e-script' })).toBeVisible();
    await snap(page, 'tokens');
    const me = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${secret}` } });
    expect(me.status()).toBe(200);
    expect(await me.json()).toEqual({ username: viewer, role: 'viewer' });
  });

  test('the audit log shows what happened, filtered by the URL', async ({ page }) => {
    await logIn(page, 'admin', adminPassword);
    await page.goto(`/audit?action=user.create`);
    await hydrated(page);
    const table = page.getByTestId('audit');
    await expect(table.getByRole('cell', { name: `${viewer} as viewer` })).toBeVisible();
    await expect(table.getByRole('cell', { name: 'login' })).toHaveCount(0);
    await snap(page, 'audit');
    await page.goto(`/audit?outcome=failed`);
    await expect(page.getByTestId('audit').getByRole('cell', { name: 'login' }).first()).toBeVisible();
  });
});

test('every page hydrates without a browser error', async ({ page }) => {
  // Seventeen pages, each loaded and hydrated, on a loaded 2-core machine.
  test.setTimeout(110_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    // A 404 page's own status is expected; anything else is a defect.
    if (m.type() === 'error' && !m.text().includes('status of 404')) errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  await logIn(page, 'admin', adminPassword);
  for (const path of ['/', '/services', '/services/orders-api', '/conformance', '/services/orders-api/conformance', '/catalog', '/explore', '/explore?service=orders-api&metric=http_requests_total', '/tokens', '/audit', '/admin/users', '/admin/config', '/admin/demo', '/traces', '/traces/00000000000000000000000000000001', '/incidents', '/no-such-page']) {
    await page.goto(path);
    await hydrated(page);
  }
  await page.waitForTimeout(500);
  expect(errors).toEqual([]);
});
