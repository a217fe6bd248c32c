// The web UI's acceptance walk in headless Chromium (driven by crates/plimsoll/tests/it/ui.rs
// against a real `plimsoll serve`): log in with a token, read the dashboard's severity chart,
// drill down registry → repository → tag → image, open the Layers tab, download the findings
// CSV, open a CVE page. Prints one JSON line {"ok": true, "checks": [...]} or exits 1 with the
// failed check.
//
// Environment:
//   PLIMSOLL_UI_URL          http://127.0.0.1:PORT
//   PLIMSOLL_UI_TOKEN        an API token
//   PLIMSOLL_UI_EXPECT       JSON: {counts: {critical,…}, registry, repository, tag,
//                            created_by, finding, cve, package, csv_header,
//                            critical_images}
//   PLIMSOLL_TOOLS_CHROMIUM  the browser (/usr/bin/chromium)
//   PLIMSOLL_TOOLS_PLAYWRIGHT  node_modules holding playwright-core
//   PLIMSOLL_UI_SCREENSHOTS  optional: a directory for PNG screenshots (1280×800)
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env('PLIMSOLL_UI_URL');
const token = env('PLIMSOLL_UI_TOKEN');
const expect = JSON.parse(env('PLIMSOLL_UI_EXPECT'));
const require = createRequire(join(env('PLIMSOLL_TOOLS_PLAYWRIGHT'), 'noop.js'));
const { chromium } = require('playwright-core');
const shots = process.env.PLIMSOLL_UI_SCREENSHOTS || '';

const checks = [];
function check(what, ok, detail = '') {
  if (!ok) throw new Error(`check failed: ${what}${detail ? `: ${detail}` : ''}`);
  checks.push(what);
}

async function shot(page, name) {
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`) });
}

const profile = mkdtempSync(join(tmpdir(), 'plimsoll-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: env('PLIMSOLL_TOOLS_CHROMIUM'),
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 800 },
  acceptDownloads: true,
});
let failed = null;
try {
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.setDefaultTimeout(60000);

  // Any page first: without a session it is the login form.
  await page.goto(`${base}/images`);
  check('no session redirects to the login page', new URL(page.url()).pathname === '/login', page.url());
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button:has-text("Log in with a token")')]);
  check('a token logs in and lands on the dashboard', true);

  // The chart is server-side SVG with one bar per severity carrying its count.
  const chart = page.locator('svg#severity-chart');
  check('the dashboard has the severity chart', await chart.count() === 1);
  for (const [severity, count] of Object.entries(expect.counts)) {
    const shown = await chart.locator(`g.bar[data-severity="${severity}"]`).getAttribute('data-count');
    check(`the chart shows ${count} ${severity}`, Number(shown) === count, `shows ${shown}`);
    const label = await chart.locator(`g.bar[data-severity="${severity}"] text.count`).textContent();
    check(`the ${severity} bar is labelled ${count}`, label.trim() === String(count), label);
  }
  await shot(page, 'dashboard');

  await page.click('header nav a:has-text("Registries")');
  await page.waitForURL(`${base}/registries`);
  await shot(page, 'registries');
  await page.click(`a:text-is("${expect.registry}")`);
  await page.waitForURL((u) => u.pathname.startsWith('/registries/'));
  await page.click(`a:text-is("${expect.repository}")`);
  await page.waitForURL((u) => u.pathname.startsWith('/repositories/'));
  check('the repository page lists the tag', await page.locator(`a.tag:text-is("${expect.tag}")`).count() === 1);
  await page.click(`a.tag:text-is("${expect.tag}")`);
  await page.waitForURL((u) => u.pathname.startsWith('/images/'));
  const title = await page.locator('h1').textContent();
  check('the image page is the tag\'s', title.includes(`${expect.repository}:${expect.tag}`), title);

  // Tabs: Vulnerabilities first, Layers on click.
  check('the Vulnerabilities tab is shown first', await page.locator('#vulnerabilities').isVisible());
  check('the Layers tab is hidden first', !(await page.locator('#layers').isVisible()));
  check('the finding is listed', await page.locator(`#findings-table a:text-is("${expect.finding}")`).count() === 1);
  await shot(page, 'image-vulnerabilities');
  await page.click('nav.tabs a[data-tab="layers"]');
  check('the Layers tab opens', await page.locator('#layers').isVisible());
  check('the vulnerabilities are hidden', !(await page.locator('#vulnerabilities').isVisible()));
  const layers = await page.locator('#layers-table').textContent();
  check('the Layers tab shows a created_by command of the image', layers.includes(expect.created_by), expect.created_by);
  await shot(page, 'image-layers');
  await page.click('nav.tabs a[data-tab="vulnerabilities"]');

  // The findings CSV, through a real download.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#findings-csv')]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  check('the CSV has the export header', csv[0] === expect.csv_header, csv[0]);
  check('the CSV has the finding\'s row', csv.slice(1).some((l) => l.split(',')[1] === expect.finding), csv.join(' | '));

  // The CVE page (the finding's CVE alias) names the advisory and lists the image.
  await page.click(`#findings-table a.alias:text-is("${expect.cve}")`);
  await page.waitForURL((u) => u.pathname.startsWith('/vulnerabilities/'));
  check('the CVE page is the CVE\'s', (await page.locator('h1').textContent()).trim() === expect.cve);
  check('the CVE page shows its advisory', (await page.locator('main').textContent()).includes(expect.finding));
  check('the CVE page lists the repository', await page.locator(`td a:text-is("${expect.repository}")`).count() >= 1);
  await shot(page, 'vulnerability');

  // Filtering and sorting run in the page: the Packages tab filtered to the finding's package.
  await page.goBack();
  await page.waitForURL((u) => u.pathname.startsWith('/images/'));
  await page.click('nav.tabs a[data-tab="packages"]');
  await page.fill('input.filter[data-table="packages-table"]', expect.package);
  const visible = await page.locator('#packages-table tbody tr:visible').allTextContents();
  check('the package filter keeps only matching rows', visible.length >= 1 && visible.every((t) => t.includes(expect.package)), visible.join(' | '));
  await page.click('#packages-table th:has-text("Findings")');
  await page.click('#packages-table th:has-text("Findings")');
  await page.fill('input.filter[data-table="packages-table"]', '');
  const first = await page.locator('#packages-table tbody tr').first().textContent();
  check('sorting by findings puts the vulnerable package first', first.includes(expect.package), first);
  // The images list filters on the server: the severity filter keeps what the API keeps.
  await page.click('header nav a:has-text("Images")');
  await page.waitForURL(`${base}/images`);
  await page.selectOption('select[name="severity"]', 'critical');
  await Promise.all([page.waitForURL((u) => u.search.includes('severity=critical')), page.click('button:has-text("Apply")')]);
  const listed = await page.locator('table.images tbody tr').count();
  check(`the critical filter lists ${expect.critical_images} images`, listed === expect.critical_images, `lists ${listed}`);
  await shot(page, 'images');

  check('no script errors on any page', errors.length === 0, errors.join('; '));
} catch (e) {
  failed = e;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
if (failed) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(failed.message || failed), checks })}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ ok: true, checks })}\n`);
