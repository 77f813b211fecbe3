// Prints a page's browser console errors (for finding hydration problems by hand):
// node console.mjs BASE_URL PATH
import { chromium } from '@playwright/test';
const [base, path] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
const page = await browser.newPage();
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log(m.type(), m.text()); });
page.on('pageerror', (e) => console.log('pageerror', e.message));
await page.goto(`${base}${path}`);
await page.waitForTimeout(3000);
console.log('hydrated:', await page.locator('body').getAttribute('data-hydrated'));
await browser.close();
