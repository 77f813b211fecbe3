// The flamegraph page with a 1,000,000-sample profile: how long until it is drawn, and how
// quickly it answers a search and a zoom. Run by hand (docs/benchmarks.md):
//   node flame-bench.mjs BASE_URL ADMIN_PASSWORD ../target/bench/profile-1m.pb.gz
import { readFileSync } from 'node:fs';
import { adminPage } from './admin-page.mjs';

const [base, password, file] = process.argv.slice(2);
const { browser, page } = await adminPage(base, password, { width: 1400, height: 900 });

const body = readFileSync(file);
const upload = await page.request.post(`${base}/api/v1/uploads?kind=pprof&service=orders-api`,
  { data: body, headers: { origin: base, 'content-type': 'application/octet-stream' }, timeout: 120_000 });
if (!upload.ok()) throw new Error(`upload: ${upload.status()} ${await upload.text()}`);
const { id } = await upload.json();

const ms = (t) => `${Math.round(performance.now() - t)} ms`;
let t = performance.now();
await page.goto(`${base}/captures/${id}`);
await page.waitForSelector('[data-testid="flamegraph"] .frame', { timeout: 120_000 });
const frames = await page.locator('[data-testid="flamegraph"] .frame').count();
console.log(`page loaded and flamegraph drawn: ${ms(t)} (${frames} frames, ${Math.round(body.length / 1048576)} MiB profile)`);

// Main-thread work after each interaction, measured in the page itself.
async function interaction(label, act) {
  await page.evaluate(() => { window.__longest = 0; new PerformanceObserver((l) => {
    for (const e of l.getEntries()) window.__longest = Math.max(window.__longest, e.duration); }).observe({ type: 'longtask', buffered: false }); });
  const start = performance.now();
  await act();
  const took = performance.now() - start;
  const longest = await page.evaluate(() => window.__longest);
  console.log(`${label}: ${Math.round(took)} ms (longest main-thread task ${Math.round(longest)} ms)`);
}
await interaction('search "function_1"', async () => {
  await page.getByTestId('search').fill('function_1');
  await page.waitForSelector('[data-testid="flamegraph"] .frame.match');
});
await interaction('zoom into a frame', async () => {
  await page.locator('[data-testid="flamegraph"] .frame').nth(3).click({ force: true });
  await page.waitForSelector('[data-testid="neighbours"]');
});
await interaction('reset zoom', async () => {
  await page.getByRole('button', { name: 'Reset zoom' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="flamegraph"] .frame').length > 100);
});
await page.screenshot({ path: '/tmp/flame-1m.png' });
await browser.close();
