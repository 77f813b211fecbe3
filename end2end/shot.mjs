// Screenshots of hub pages for a person to look at: node shot.mjs BASE_URL PASSWORD OUT_DIR path...
import { chromium } from '@playwright/test';
const [base, password, out, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
const page = await browser.newPage({ viewport: { width: 1300, height: 850 } });
await page.goto(`${base}/login`);
await page.waitForSelector('body[data-hydrated="true"]');
await page.getByLabel('Username').fill('admin');
await page.getByLabel('Password').fill(password);
await page.getByRole('button', { name: 'Log in' }).click();
await page.waitForSelector('[data-testid="current-user"]');
for (const p of paths) {
  await page.goto(`${base}${p}`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForTimeout(1500);
  const name = p.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'home';
  await page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
}
await browser.close();
