// Screenshots of hub pages for a person to look at: node shot.mjs BASE_URL PASSWORD OUT_DIR path...
import { adminPage } from './admin-page.mjs';
const [base, password, out, ...paths] = process.argv.slice(2);
const width = Number(process.env.SHOT_WIDTH ?? 1300);
const { browser, page } = await adminPage(base, password, { width, height: 850 });
for (const p of paths) {
  await page.goto(`${base}${p}`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForTimeout(1500);
  const name = p.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'home';
  await page.screenshot({ path: `${out}/${name}${width === 1300 ? '' : '-' + width}.png`, fullPage: true });
}
await browser.close();
