import { test as base, expect, Page, Browser, BrowserContext } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import * as fs from "fs";
import * as path from "path";

/** Console and page errors a test expects (a relay it stopped, a file it blocked): patterns, reset before each test. */
const expectedConsoleErrors: RegExp[] = [];
const expectedPageErrors: RegExp[] = [];

/** Lets the running test's pages log console errors that match `pattern` (for example a refused WebSocket while the
 * test has stopped the relay). Page errors (uncaught exceptions, a wasm trap) are never allowed. */
export function allowConsoleErrors(pattern: RegExp) {
  expectedConsoleErrors.push(pattern);
}

/** Lets the running test's pages throw uncaught errors that match `pattern`: only for a test that breaks the page on
 * purpose (a blocked wasm file) to check what the person then sees. */
export function allowPageErrors(pattern: RegExp) {
  expectedPageErrors.push(pattern);
}

/**
 * Every spec imports `test` from here: it watches every page of every browser context the test opens (the `page`
 * fixture and `browser.newContext()` alike) and fails the test on any `pageerror` (an uncaught exception, a wasm
 * trap: the release build aborts on panic, so a Rust panic shows only as "unreachable") or console error. Every
 * page is served with a strict Content-Security-Policy (issue 19): a violation is a console error that no test may
 * expect away.
 */
export const test = base.extend<{ failOnPageErrors: void }>({
  failOnPageErrors: [
    async ({ browser, context }, use) => {
      expectedConsoleErrors.length = 0;
      expectedPageErrors.length = 0;
      const errors: string[] = [];
      const watchPage = (page: Page) => {
        page.on("pageerror", (e) => {
          if (!expectedPageErrors.some((p) => p.test(e.message))) errors.push(`page error on ${page.url()}: ${e.message}`);
        });
        page.on("console", (m) => {
          if (m.type() !== "error") return;
          const text = m.text();
          const csp = /Content Security Policy/i.test(text);
          if (csp || !expectedConsoleErrors.some((p) => p.test(text))) errors.push(`console error on ${page.url()}: ${text}`);
        });
      };
      const watch = (ctx: BrowserContext) => {
        ctx.pages().forEach(watchPage);
        ctx.on("page", watchPage);
      };
      watch(context);
      // The contexts a test opens itself are closed when it ends, so that their pages (live sockets, timers) do not
      // keep running beside the later tests of a long suite.
      const opened: BrowserContext[] = [];
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (...args: Parameters<Browser["newContext"]>) => {
        const ctx = await newContext(...args);
        watch(ctx);
        opened.push(ctx);
        return ctx;
      };
      try {
        await use();
      } finally {
        browser.newContext = newContext;
      }
      const found = [...errors];
      await Promise.all(opened.map((ctx) => ctx.close().catch(() => undefined)));
      expect(found, "no page errors or console errors").toEqual([]);
    },
    { auto: true },
  ],
});

/** Waits until the page has hydrated: controls work only from then on. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  // The shell's "this page stopped working" notice (app.rs) must not show on a page that works.
  await expect(page.locator("#load-failed")).toHaveCount(0);
}

/** Joins the workshop page at `link` under `name` (the page's own join form). */
export async function joinWorkshop(page: Page, link: string, name: string) {
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Join" }).click();
}

/** Creates a session from the create page and returns its three links. `minutes` sets the first phases' lengths. */
export async function createSession(
  page: Page,
  opts: { template?: string; goal?: string; everyone?: boolean; minutes?: number[] } = {},
) {
  await page.goto("/");
  await hydrated(page);
  if (opts.template) {
    await page.locator(`input[name=template][value="${opts.template}"]`).check();
  }
  if (opts.goal) {
    await page.getByLabel("Session goal").fill(opts.goal);
  }
  if (opts.everyone) {
    await page.getByLabel("Everyone taking part").check();
  }
  for (const [i, minutes] of (opts.minutes ?? []).entries()) {
    await page.getByLabel(`Minutes for phase ${i + 1}`, { exact: true }).fill(String(minutes));
  }
  await page.getByRole("button", { name: "Create session" }).click();
  // The ready page has an address of its own (/s/{id}/ready?t=HOST_TOKEN): wait until it runs before leaving it.
  await expect(page.getByRole("heading", { name: "Your session is ready" })).toBeVisible();
  await hydrated(page);
  const read = async (id: string) => page.getByTestId(id).inputValue();
  return {
    participant: await read("participant-link"),
    host: await read("host-link"),
    observer: await read("observer-link"),
  };
}

/** Opens a link, joins with a name (and role), and waits until live. */
export async function join(page: Page, link: string, name: string, role?: string) {
  await enter(page, link, name, role);
  await expectLive(page);
}

/** Opens `link` and sends the join form as `name` (with `role`), without waiting for what the page answers. */
export async function enter(page: Page, link: string, name: string, role?: string) {
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel("Your name").fill(name);
  if (role) {
    await page.locator(`input[name=role][value="${role}"]`).check();
  }
  await page.getByRole("button", { name: /^(Join|Enter the session|Watch)$/ }).click();
}

export async function expectLive(page: Page) {
  await expect(page.getByTestId("connection")).toContainText("Live");
}

/** Seconds shown on the clock (negative in overtime). */
export async function clockSeconds(page: Page): Promise<number> {
  const text = (await page.getByTestId("clock").textContent())?.trim() ?? "";
  const over = text.startsWith("+");
  const [m, s] = text.replace("+", "").split(":").map(Number);
  const secs = m * 60 + s;
  return over ? -secs : secs;
}

/** Waits until every page's clock shows the same time within `tolerance` seconds, and returns the readings. */
export async function expectClocksAgree(pages: Page[], tolerance = 1) {
  let readings: number[] = [];
  await expect
    .poll(async () => {
      readings = await Promise.all(pages.map(clockSeconds));
      return Math.max(...readings) - Math.min(...readings);
    }, { message: "clocks agree" })
    .toBeLessThanOrEqual(tolerance);
  return readings;
}

/** Fails on any axe-core violation of WCAG 2.0/2.1/2.2 A and AA and axe's best practices, at desktop width and at
 * 390 px, listing them. */
export async function expectAccessible(page: Page) {
  const found: string[] = [];
  const original = page.viewportSize();
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const results = await new AxeBuilder({ page })
      .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"])
      .analyze();
    found.push(...results.violations.map((v) => `${width} px: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`));
  }
  if (original) await page.setViewportSize(original);
  expect(found).toEqual([]);
}

/** Saves a screenshot under end2end/screenshots/ at desktop width and at 390 px, and fails when the page is wider than
 * the phone's screen (nothing may need sideways scrolling; a list that scrolls inside itself is fine). */
export async function screenshots(page: Page, name: string) {
  const dir = path.join(__dirname, "..", "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  const original = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(dir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(dir, `${name}-390.png`), fullPage: true });
  await expect
    .poll(() => page.evaluate(() => document.documentElement.scrollWidth), { message: `${name}: page width at 390 px` })
    .toBeLessThanOrEqual(390);
  if (original) await page.setViewportSize(original);
}

/** A new browser context whose clock (Date.now) runs `skewMs` ahead of the real one. */
export async function skewedContext(browser: Browser, skewMs: number): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript((skew: number) => {
    const realNow = Date.now.bind(Date);
    Date.now = () => realNow() + skew;
  }, skewMs);
  return context;
}
