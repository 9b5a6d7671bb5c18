/**
 * The HTML report in a real browser (headless Chromium, driven over the
 * DevTools protocol by puppeteer-core): the page the CLI writes for a package
 * full of hostile names and properties is opened from file:// and must show
 * its verdict, expand its tree, fit a 375 px phone screen, render dark and
 * print, all without one console error, page error, dialog or network request
 * other than its own file, and without any payload running.
 *
 * Without Chromium the tests are skipped (said in the output) unless CI is
 * set, where they fail. ROMSCOPE_SCREENSHOT_DIR keeps the screenshots there.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { runCli } from '../helpers';
import { IMG, QUOTES, SCRIPT, SVG, hostilePackage } from './html-fixture';

/** CHROMIUM_PATH, when set, is the only browser tried (a path that does not exist shows the skip); else Debian's. */
const CHROMIUM = (process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((p) => existsSync(p));

const dir = mkdtempSync(join(tmpdir(), 'romscope-html-browser-'));
const shots = process.env.ROMSCOPE_SCREENSHOT_DIR || dir;
const reportFile = join(dir, 'report.html');
const reportUrl = pathToFileURL(reportFile).href;
let browser: Browser | undefined;

before(async () => {
  const pkg = join(dir, 'hostile.zip');
  writeFileSync(pkg, hostilePackage());
  // One rule moved to info, so every severity group is on the page.
  const r = runCli(['check', pkg, '--format', 'html', '-o', reportFile, '--severity', 'format/unsafe-path=info']);
  assert.equal(r.code, 1, r.stderr);
  if (!CHROMIUM) return;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: the tests run as root in CI containers, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions'],
  });
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The browser, or a visible skip (a failure under CI) when Chromium is not installed. */
function need(t: TestContext): Browser | null {
  if (browser) return browser;
  const msg = `Chromium not found (${process.env.CHROMIUM_PATH || '/usr/bin/chromium'}): the HTML report is not checked in a browser`;
  if (process.env.CI === 'true') assert.fail(`${msg} (CI must install it: see .ci/run)`);
  t.skip(msg);
  return null;
}

interface Watched {
  page: Page;
  /** Everything the page did that it must not: console errors, page errors, dialogs, requests other than the report. */
  problems: string[];
}

/** A new page that records every console error, page error, dialog and request other than the report's own file (blocked). */
async function open(b: Browser, width: number): Promise<Watched> {
  const page = await b.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message ?? String(e)}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.type()} ${d.message()}`);
    void d.dismiss();
  });
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (req.url() === reportUrl) return void req.continue();
    problems.push(`request: ${req.url()}`);
    void req.abort();
  });
  await page.setViewport({ width, height: 800 });
  await page.goto(reportUrl, { waitUntil: 'load' });
  return { page, problems };
}

/**
 * Runs an expression in the page (as a string: the project compiles without
 * the DOM's types) and returns its value.
 */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** The expression for the tree's summary element showing this artifact name (or undefined). */
const summaryExpr = (name: string) => `[...document.querySelectorAll('details.artifact > summary')].find((s) => s.querySelector('code')?.textContent === ${JSON.stringify(name)})`;

/** Clicks the summary of the artifact with this name, as a user would. */
async function clickSummary(page: Page, name: string): Promise<void> {
  const el = (await page.evaluateHandle(`${summaryExpr(name)} ?? null`)).asElement();
  assert.ok(el, `no artifact named ${name} in the tree`);
  await el.click();
}

const visible = (page: Page, name: string) => inPage<boolean>(page, `(() => { const s = ${summaryExpr(name)}; return !!s && s.checkVisibility(); })()`);

/** Opens every closed artifact in the tree by clicking its summary, outermost first, until none is left. */
async function expandAll(page: Page): Promise<number> {
  let clicks = 0;
  for (;;) {
    const closed = await page.$$('details.artifact:not([open]) > summary');
    const shown = [];
    for (const s of closed) if (await s.evaluate('(e) => e.checkVisibility()')) shown.push(s);
    if (shown.length === 0) return clicks;
    for (const s of shown) {
      await s.click();
      clicks++;
    }
  }
}

/** Width and height from a PNG's IHDR, after checking the signature. */
function pngSize(file: string): { width: number; height: number; bytes: number } {
  const b = readFileSync(file);
  assert.ok(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${file} is not a PNG`);
  assert.equal(b.toString('latin1', 12, 16), 'IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bytes: b.length };
}

async function noPayloadRan(page: Page): Promise<void> {
  const state = await inPage(
    page,
    `({
      pwned: typeof window.__pwned,
      active: document.querySelectorAll('img, script, svg, iframe, object, embed, link, form, input, b').length,
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    })`,
  );
  assert.deepEqual(state, { pwned: 'undefined', active: 0, handlers: 0 });
}

test('browser: the verdict opens the page; the hostile names are shown as text and none of their payloads runs', { timeout: 120_000 }, async (t) => {
  const b = need(t);
  if (!b) return;
  const { page, problems } = await open(b, 1280);
  try {
    const order = await inPage<string[]>(page, `[...document.querySelectorAll('article > *')].map((e) => e.id || e.tagName.toLowerCase())`);
    assert.deepEqual(order.slice(0, 2), ['header', 'verdict']);
    assert.ok(order.indexOf('findings') < order.indexOf('artifacts'));
    assert.equal(await inPage(page, `document.querySelector('#verdict .headline').textContent`), '1 error, 1 warning, 1 info');
    const verdict = await inPage<string>(page, `document.querySelector('#verdict').innerText`);
    assert.match(verdict, /integrity\s+failed — 11 checks, 1 failed/);
    assert.match(verdict, /signature\s+unverifiable/);
    assert.deepEqual(await inPage(page, `[...document.querySelectorAll('#findings h3')].map((h) => h.textContent)`), ['Errors (1)', 'Warnings (1)', 'Info (1)']);
    // The payloads are on the page as text, exactly.
    const text = await inPage<string>(page, 'document.body.textContent');
    for (const s of [`${SCRIPT}.bin`, `${IMG}.txt`, `${QUOTES}.txt`]) assert.ok(text.includes(s), `not shown as text: ${s}`);
    assert.ok(text.includes(IMG) && text.includes(SCRIPT) && text.includes(QUOTES), 'build.prop values not shown');
    await noPayloadRan(page);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('browser: clicking summaries expands the tree; at 375 px the page does not scroll sideways; screenshots at 375 and 1280 px', { timeout: 120_000 }, async (t) => {
  const b = need(t);
  if (!b) return;
  if (shots !== dir) mkdirSync(shots, { recursive: true });
  const { page, problems } = await open(b, 375);
  try {
    // The root is open: its members' lines show; a member of the nested zip does not until the nested zip is opened.
    assert.equal(await visible(page, 'nested/inner.zip'), true);
    assert.equal(await visible(page, 'deep-member.txt'), false);
    assert.equal(await visible(page, `${SVG}.txt`), false);
    await clickSummary(page, 'nested/inner.zip');
    assert.equal(await visible(page, 'deep-member.txt'), true);
    assert.equal(await visible(page, `${SVG}.txt`), true);
    // Its hash shows once it is opened too.
    await clickSummary(page, 'deep-member.txt');
    const hash = await inPage<string | null>(page, `(() => { const h = ${summaryExpr('deep-member.txt')}?.parentElement?.querySelector('.body code.hash'); return h && h.checkVisibility() ? h.textContent : null; })()`);
    assert.match(hash ?? '', /^[0-9a-f]{64}$/);
    assert.ok((await expandAll(page)) > 5, 'too few summaries to click');
    assert.equal(await inPage(page, `document.querySelectorAll('details.artifact:not([open])').length`), 0);
    for (const width of [375, 1280]) {
      await page.setViewport({ width, height: 800 });
      const scroll = await inPage<number>(page, 'document.documentElement.scrollWidth');
      if (width === 375) assert.ok(scroll <= width, `the page is ${scroll} px wide at a ${width} px viewport`);
      const file = join(shots, `report-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      const png = pngSize(file);
      assert.equal(png.width, width);
      assert.ok(png.height > 800 && png.bytes > 10_000, `screenshot ${file} looks empty (${png.height} px high, ${png.bytes} bytes)`);
    }
    await noPayloadRan(page);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('browser: dark colour scheme, and print (light, the tree printed open) without errors', { timeout: 120_000 }, async (t) => {
  const b = need(t);
  if (!b) return;
  const { page, problems } = await open(b, 1280);
  try {
    const background = () => inPage<string>(page, 'getComputedStyle(document.body).backgroundColor');
    const luminance = (rgb: string) => {
      const [r, g, bl] = (rgb.match(/\d+/g) ?? []).map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
    };
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
    assert.ok(luminance(await background()) > 200, `light background is ${await background()}`);
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    assert.ok(luminance(await background()) < 60, `dark background is ${await background()}`);
    const dark = join(shots, 'report-1280-dark.png');
    await page.screenshot({ path: dark });
    assert.equal(pngSize(dark).width, 1280);
    // Print, with the dark scheme still asked for: white paper, and a closed artifact's members printed.
    await page.emulateMediaType('print');
    assert.equal(await background(), 'rgb(255, 255, 255)');
    assert.equal(await visible(page, 'deep-member.txt'), true, 'a closed artifact is not expanded in print');
    const pdf = await page.pdf({ format: 'A4' });
    assert.equal(Buffer.from(pdf).toString('latin1', 0, 5), '%PDF-');
    writeFileSync(join(shots, 'report.pdf'), pdf);
    await page.emulateMediaType('screen');
    assert.equal(await visible(page, 'deep-member.txt'), false);
    await noPayloadRan(page);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});
