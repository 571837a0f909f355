import { expect, BrowserContext, Page } from "@playwright/test";
import { createSession, join, test } from "./helpers";

// What a screen reader hears (issue 22, item 6; docs/accessibility.md): every text the page's live regions take,
// recorded as it happens, so that an announcement said twice, missed, or repeated every second shows.

/** A text a live region took, in order: the region (its test id, else its role or aria-live) and the text. */
type Said = { region: string; text: string };

/**
 * Records, from the first byte of every page of `context`, each new text of its live regions (`aria-live`,
 * `role=status`, `role=alert`) into `window.__said`. A region that goes empty is not recorded (nothing is said).
 */
async function recordLiveRegions(context: BrowserContext) {
  await context.addInitScript(() => {
    const said: { region: string; text: string }[] = [];
    (window as unknown as { __said: typeof said }).__said = said;
    const REGIONS = "[aria-live]:not([aria-live=off]), [role=status], [role=alert]";
    const last = new WeakMap<Element, string>();
    const check = (region: Element) => {
      const text = (region.textContent ?? "").replace(/\s+/g, " ").trim();
      if (text === (last.get(region) ?? "")) return;
      last.set(region, text);
      const name = region.getAttribute("data-testid") ?? region.getAttribute("role") ?? `aria-live=${region.getAttribute("aria-live")}`;
      if (text) said.push({ region: name, text });
    };
    new MutationObserver((records) => {
      const touched = new Set<Element>();
      for (const record of records) {
        const at = record.target instanceof Element ? record.target : record.target.parentElement;
        const region = at?.closest(REGIONS);
        if (region) touched.add(region);
        for (const node of Array.from(record.addedNodes)) {
          if (!(node instanceof Element)) continue;
          if (node.matches(REGIONS)) touched.add(node);
          node.querySelectorAll(REGIONS).forEach((r) => touched.add(r));
        }
      }
      touched.forEach(check);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

async function said(page: Page): Promise<Said[]> {
  return page.evaluate(() => (window as unknown as { __said: Said[] }).__said);
}

/** What the announcer said, in order. */
async function announced(page: Page): Promise<string[]> {
  return (await said(page)).filter((s) => s.region === "announcer").map((s) => s.text);
}

/** Waits until the announcer has said `text` (it may say more later). */
async function waitToHear(page: Page, text: string, timeout = 10_000) {
  await expect.poll(() => announced(page), { message: `announced: ${text}`, timeout }).toContain(text);
}

test("a screen reader hears each change once: joins, the start, the phase, one minute left, time up, a leave; never the ticking clock", async ({ browser }) => {
  // The clock really runs: one minute to "one minute left" in a 2-minute phase and to "time is up" in a 1-minute
  // one, run side by side in two sessions; then a 10 s grace before "left".
  test.setTimeout(180_000);
  const open = async () => {
    const context = await browser.newContext();
    await recordLiveRegions(context);
    return context.newPage();
  };
  const [ana, ben, cy, dee] = [await open(), await open(), await open(), await open()];
  // Session A: Ana hosts, Ben joins; its first phase lasts two minutes.
  const a = await createSession(ana, { goal: "Say it once", minutes: [2] });
  await join(ana, a.host, "Ana", "coach");
  await join(ben, a.participant, "Ben", "coachee");
  // Session B: Cy hosts, Dee watches; its first phase lasts one minute. Cy has asked for less motion.
  const b = await createSession(cy, { goal: "Run out", minutes: [1] });
  await cy.emulateMedia({ reducedMotion: "reduce" });
  await join(cy, b.host, "Cy", "coach");
  await join(dee, b.observer, "Dee");
  await waitToHear(ana, "Ben joined.");
  await waitToHear(cy, "Dee joined.");

  // The clock ticks in no live region: role=timer is silent (aria-live off) and sits in none.
  for (const page of [ana, ben]) {
    const clock = page.getByTestId("clock");
    await expect(clock).toHaveAttribute("role", "timer");
    expect(await clock.evaluate((el) => el.parentElement?.closest("[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log]") ?? null)).toBeNull();
  }

  await ana.getByRole("button", { name: /Start/ }).click();
  await cy.getByRole("button", { name: /Start/ }).click();
  await waitToHear(ben, "Ana started the timer.");
  await waitToHear(dee, "Cy started the timer.");
  // A minute later: one minute left in A, time up in B.
  await waitToHear(ana, "One minute left.", 75_000);
  await waitToHear(ben, "One minute left.");
  await waitToHear(cy, "Time is up for Goal.", 15_000);
  await waitToHear(dee, "Time is up for Goal.");

  // The over-time ring pulses, except for Cy, who asked for less motion.
  const pulse = (page: Page) => page.locator(".timer--over .clock__track").evaluate((el) => getComputedStyle(el).animationName);
  expect(await pulse(dee)).toBe("pulse");
  expect(await pulse(cy)).toBe("none");

  await ana.getByRole("button", { name: "Next phase" }).click();
  await waitToHear(ben, "Ana moved everyone to phase 2 of 5: Reality.");
  await waitToHear(ana, "Now phase 2 of 5: Reality.");
  expect(await announced(ben)).toEqual(["Ana started the timer.", "One minute left.", "Ana moved everyone to phase 2 of 5: Reality."]);

  // Ben closes his tab: after the grace period for a reconnection, Ana hears that he left.
  await ben.context().close();
  await waitToHear(ana, "Ben left.", 20_000);

  // Each was said exactly once, in order, and nothing else: no second-by-second clock, no repeats.
  expect(await announced(ana)).toEqual([
    "Ben joined.",
    "Timer started.",
    "One minute left.",
    "Now phase 2 of 5: Reality.",
    "Ben left.",
  ]);
  expect(await announced(cy)).toEqual(["Dee joined.", "Timer started.", "Time is up for Goal."]);
  expect(await announced(dee)).toEqual(["Cy started the timer.", "Time is up for Goal."]);
  // The other live regions (the connection, a form loading, the notes' save status) said each thing once, the
  // connection only "Connecting…" then "Live", and none of them the clock.
  for (const page of [ana, cy, dee]) {
    const others = (await said(page)).filter((s) => s.region !== "announcer");
    expect(others.filter((s) => s.region === "connection").map((s) => s.text)).toEqual(["Connecting…", "Live"]);
    const lines = others.map((s) => `${s.region}: ${s.text}`);
    expect(lines.filter((line, i) => lines.indexOf(line) !== i), "said twice").toEqual([]);
    expect(lines.filter((line) => /\d:\d\d/.test(line)), "a clock reading").toEqual([]);
    expect(lines.length).toBeLessThanOrEqual(5);
  }
  for (const page of [ana, cy, dee]) await page.context().close();
});
