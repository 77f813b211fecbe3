// For the scripts run by hand (shot.mjs, flame-bench.mjs): Debian's Chromium with a page
// logged in as admin.
import { chromium } from '@playwright/test';

export async function adminPage(base, password, viewport) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
  const page = await browser.newPage({ viewport });
  await page.goto(`${base}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForSelector('[data-testid="current-user"]');
  return { browser, page };
}
