import { expect, Browser, Page } from "@playwright/test";
import * as fs from "fs";
import * as path from "path";
import { createSession, expectLive, hydrated, join, test } from "./helpers";

// How the pages look to someone who magnifies them, asks for less motion, uses forced colours (Windows high
// contrast) or needs strong text contrast (issue 22, items 4 and 5; docs/accessibility.md).

const SHOTS = path.join(__dirname, "..", "screenshots");

/** Saves a full-page screenshot as end2end/screenshots/{name}.png. */
async function shot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * WCAG 1.4.10 (reflow) and 1.4.4 (resize text): a 320 CSS px wide window, and a 1280 px window zoomed to 200 %,
 * which lays pages out at 640 CSS px (the device pixels doubled, as zoom does).
 */
const MAGNIFIED = [
  { name: "reflow-320", viewport: { width: 320, height: 700 }, deviceScaleFactor: 1 },
  { name: "zoom-200", viewport: { width: 640, height: 450 }, deviceScaleFactor: 2 },
];

/**
 * Screenshots the page as `{mode}-{state}.png` and fails when something needs sideways scrolling or is cut off: the
 * page wider than the window, an element sticking out of it, a box that hides or scrolls its own overflowing text.
 * The phase bar's list is the one exception: it scrolls sideways by design and its tabs are reached with Tab. A
 * read-only text field (a link) may scroll inside itself, as it does at any width; an editable one must show its value.
 */
async function expectReflows(page: Page, mode: string, state: string) {
  await shot(page, `${mode}-${state}`);
  const size = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth }));
  expect(size.page, `${mode} ${state}: the page needs no sideways scrolling`).toBeLessThanOrEqual(size.window);
  const problems = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const bar = document.querySelector(".phase-bar ol");
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""}`;
    const found: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      if ((bar && bar.contains(el)) || el.closest(".sr-only, script, style, template")) continue;
      const style = getComputedStyle(el);
      if (style.display === "none" || style.visibility === "hidden") continue;
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || box.bottom < 0) continue; // not drawn, or the skip link parked above
      if (box.left < -1 || box.right > width + 1) {
        found.push(`${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)} px of ${width}`);
        continue;
      }
      const text = (el.textContent ?? "").trim() !== "" || el instanceof HTMLTextAreaElement;
      const hides = (overflow: string) => overflow !== "visible";
      const field = el instanceof HTMLInputElement || el instanceof HTMLSelectElement;
      if (text && !field && hides(style.overflowX) && el.scrollWidth > el.clientWidth + 1) {
        found.push(`${name(el)} hides or scrolls ${el.scrollWidth - el.clientWidth} px of its width`);
      }
      // A value someone typed or can edit (a phase's title) must fit its field; a read-only link may scroll in it.
      const editable = el instanceof HTMLInputElement && el.type === "text" && !el.readOnly && el.value !== "";
      if (editable && el.scrollWidth > el.clientWidth + 1) found.push(`${name(el)} shows only part of “${el.value}”`);
      if (text && !field && style.overflowY === "hidden" && el.scrollHeight > el.clientHeight + 1) {
        found.push(`${name(el)} cuts ${el.scrollHeight - el.clientHeight} px of its height`);
      }
      if (style.textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth + 1) found.push(`${name(el)} ends in …`);
    }
    return found;
  });
  expect(problems, `${mode} ${state}: nothing cut off or out of the window`).toEqual([]);
}

for (const mode of MAGNIFIED) {
  test(`${mode.name}: every page and state reflows, with nothing cut off and no sideways scrolling`, async ({ browser }) => {
    test.setTimeout(120_000);
    const open = async () => (await browser.newContext({ viewport: mode.viewport, deviceScaleFactor: mode.deviceScaleFactor })).newPage();
    const [ana, ben] = [await open(), await open()];
    await ana.goto("/");
    await hydrated(ana);
    await expectReflows(ana, mode.name, "create");
    const links = await createSession(ana, { goal: "Run a design review without taking over the room" });
    await expectReflows(ana, mode.name, "ready");

    await ben.goto(links.participant);
    await hydrated(ben);
    await expectReflows(ben, mode.name, "join");
    await join(ana, links.host, "Ana", "coach");
    await join(ben, links.participant, "Ben", "coachee");
    await ana.getByTestId("notes-goal-statement").fill("Lead the next review from the agenda, not from my own opinions.");
    await ana.getByLabel("New commitment").fill("Ask every reviewer for one question before giving any answer");
    await ana.getByLabel("New commitment").press("Enter");
    await expect(ben.getByTestId("commitment")).toHaveCount(1);
    await ana.getByRole("button", { name: /Start/ }).click();
    await expect(ben.getByTestId("clock-label")).toHaveText("left");
    await expectReflows(ana, mode.name, "session-host");
    await expectReflows(ben, mode.name, "session-participant");

    // The host moves on to the feedback phase: the coachee's form about the coach.
    for (let i = 2; i <= 5; i++) {
      await ana.getByRole("button", { name: "Next phase" }).click();
      await expect(ben.getByTestId("phase-position")).toHaveText(`Phase ${i} of 5`);
    }
    await expect(ben.getByTestId("feedback-form")).toBeVisible();
    await expectReflows(ben, mode.name, "feedback");

    await ana.getByRole("button", { name: "End session…" }).click();
    await ana.getByRole("button", { name: "End session", exact: true }).click();
    await expect(ana).toHaveURL(/\/summary\?t=/);
    await hydrated(ana);
    await expectReflows(ana, mode.name, "summary");
    await ana.context().close();
    await ben.context().close();
  });
}

/** Host and participant of a fresh GROW session, both live, the clock running, one commitment. */
async function runningSession(browser: Browser) {
  const [ana, ben] = await Promise.all([0, 1].map(async () => (await browser.newContext()).newPage()));
  const links = await createSession(ana, { goal: "Give clearer feedback" });
  await join(ana, links.host, "Ana", "coach");
  await join(ben, links.participant, "Ben", "coachee");
  await ana.getByLabel("New commitment").fill("Write down one example before each one-to-one");
  await ana.getByLabel("New commitment").press("Enter");
  await ana.getByRole("button", { name: /Start/ }).click();
  await expect(ana.getByTestId("clock-label")).toHaveText("left");
  return { ana, ben, links };
}

test("reduced motion: no animation and no transition anywhere on the session page, the ring included", async ({ browser }) => {
  const { ana, ben } = await runningSession(browser);
  // Ben typing in a section shows his chip on Ana's page (a chip that pops in, when motion is allowed).
  await ben.getByTestId("notes-goal-statement").fill("Feedback that lands");
  await expect(ana.getByTestId("section-peers").first()).toContainText("Ben");
  const moving = () =>
    ana.evaluate(() => {
      const found: string[] = [];
      for (const el of Array.from(document.querySelectorAll("*"))) {
        for (const pseudo of [null, "::before", "::after"]) {
          const style = getComputedStyle(el, pseudo);
          const durations = style.transitionDuration.split(",").map((d) => parseFloat(d));
          const what = `${el.tagName.toLowerCase()}.${el.getAttribute("class") ?? ""}${pseudo ?? ""}`;
          if (style.animationName !== "none") found.push(`${what} animates (${style.animationName})`);
          if (durations.some((d) => d > 0)) found.push(`${what} transitions (${style.transitionDuration})`);
        }
      }
      return found;
    });
  // Without the preference the page does move: the check below is not empty by accident.
  await ana.emulateMedia({ reducedMotion: "no-preference" });
  const normally = await moving();
  expect(normally.some((m) => m.startsWith("circle.clock__progress") && m.includes("transitions"))).toBe(true);
  expect(normally.some((m) => m.startsWith("button.button") && m.includes("transitions"))).toBe(true);
  expect(normally.some((m) => m.startsWith("li.peer-chip") && m.includes("animates"))).toBe(true);

  await ana.emulateMedia({ reducedMotion: "reduce" });
  expect(await moving()).toEqual([]);
  const progress = await ana.locator(".clock__progress").evaluate((el) => getComputedStyle(el).transitionDuration);
  expect(progress).toBe("0s");
  // The pulse of the over-time ring is checked on a clock that really ran out, in a11y-announce.spec.ts.
  await ana.context().close();
  await ben.context().close();
});

test("forced colours: the ring, the focus outline, the badges, avatars and the live dot stay visible", async ({ browser }) => {
  const { ana, ben } = await runningSession(browser);
  for (const page of [ana, ben]) await page.emulateMedia({ forcedColors: "active" });
  // The keyboard's focus: Tab from the Pause button to "+1 min".
  await ana.locator("#timer-primary").focus();
  await ana.keyboard.press("Tab");
  await expect(ana.locator(":focus-visible")).toHaveCount(1);
  // Forced colours repaint text, backgrounds and borders but not SVG strokes, and drop backgrounds: what shows by a
  // stroke or a fill alone needs colours of the scheme's own, measured here as non-text contrast (WCAG 1.4.11: 3:1).
  const measured = await contrast(ana, {
    "ring, time gone": [".clock__track", "stroke"],
    "ring, time left": [".clock__progress", "stroke"],
    "focus outline": [":focus-visible", "outlineColor"],
    "capability badge border": ["[data-testid=capability]", "borderTopColor"],
    "host badge border": [".badge--host", "borderTopColor"],
    "avatar border": [".avatar", "borderTopColor"],
    "live dot": [".dot--on", "backgroundColor"],
    "current phase tab": [".phase-bar__item--current .phase-bar__tab", "backgroundColor"],
  });
  console.log(`Forced colours (non-text contrast):\n${table(measured)}`);
  expect(measured.filter((m) => !(m.ratio >= 3)).map((m) => `${m.label}: ${m.ratio}:1`)).toEqual([]);
  // The two parts of the ring differ from each other too.
  expect(measured[0].text).not.toBe(measured[1].text);
  await shot(ana, "forced-colors-session");
  await shot(ben, "forced-colors-session-participant");
  await ana.context().close();
  await ben.context().close();
});

type Colour = "color" | "stroke" | "outlineColor" | "borderTopColor" | "backgroundColor";

/**
 * The contrast ratio (WCAG 2.x) of each element's colour (its text colour, or the property given with its selector)
 * against what is behind it: the background colours of its ancestors (and its own, but for a background or an
 * outline, which it paints itself or outside) composited over white, the colour with its alpha, and the group of an
 * ancestor with opacity laid over what is behind it. Per label, the lowest ratio among the drawn elements that match
 * (with text, for text colour).
 */
async function contrast(page: Page, pairs: Record<string, string | [string, Colour]>) {
  return page.evaluate((pairs) => {
    type Rgba = [number, number, number, number];
    const parse = (c: string): Rgba => {
      const [r, g, b, a = 1] = (c.match(/[\d.]+/g) ?? []).map(Number);
      return [r, g, b, a];
    };
    const over = (top: Rgba, below: Rgba): Rgba => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat(1) as Rgba;
    };
    const luminance = (c: Rgba) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const hex = (c: Rgba) => "#" + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
    const measure = (el: Element, property: string) => {
      const chain: Element[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) chain.unshift(e);
      let back: Rgba = [255, 255, 255, 1];
      // An ancestor with opacity lays the whole group (its backgrounds and the text) over what was behind it.
      let behind: Rgba | null = null;
      let opacity = 1;
      for (const e of chain) {
        const style = getComputedStyle(e);
        if (Number(style.opacity) < 1 && !behind) behind = back;
        opacity *= Number(style.opacity);
        const own = e === el && (property === "backgroundColor" || property === "outlineColor");
        if (!own) back = over(parse(style.backgroundColor), back);
      }
      let front = over(parse((getComputedStyle(el) as unknown as Record<string, string>)[property]), back);
      if (behind) {
        front = over([front[0], front[1], front[2], opacity], behind);
        back = over([back[0], back[1], back[2], opacity], behind);
      }
      const [hi, lo] = [luminance(front), luminance(back)].sort((a, b) => b - a);
      return { text: hex(front), back: hex(back), ratio: (hi + 0.05) / (lo + 0.05) };
    };
    return Object.entries(pairs).map(([label, pair]) => {
      const [selector, property] = typeof pair === "string" ? [pair, "color"] : pair;
      const shown = Array.from(document.querySelectorAll(selector)).filter((el) => {
        const box = el.getBoundingClientRect();
        const text = property !== "color" || (el.textContent ?? "").trim() !== "";
        return box.width > 0 && box.height > 0 && text && getComputedStyle(el).visibility !== "hidden";
      });
      if (shown.length === 0) return { label, selector, text: "", back: "", ratio: 0 };
      const worst = shown.map((el) => measure(el, property)).sort((a, b) => a.ratio - b.ratio)[0];
      return { label, selector, ...worst, ratio: Math.round(worst.ratio * 100) / 100 };
    });
  }, pairs);
}

/** The measured pairs as lines: label, colour on background, ratio. */
function table(measured: Awaited<ReturnType<typeof contrast>>) {
  return measured.map((m) => `${m.label.padEnd(48)} ${m.text} on ${m.back}  ${m.ratio.toFixed(2)}:1`).join("\n");
}

test("text contrast is at least 4.5:1 for body text, hints, buttons, the clock, badges and tabs (measured)", async ({ browser }) => {
  test.setTimeout(90_000);
  const measured: Awaited<ReturnType<typeof contrast>> = [];
  const create = await (await browser.newContext()).newPage();
  await create.goto("/");
  await hydrated(create);
  measured.push(
    ...(await contrast(create, {
      "create: body text": ".lead",
      "create: hint": ".hint",
      "create: format length": ".template__meta",
      "create: format summary": ".template__summary",
      "create: minutes unit": ".agenda-edit__unit",
      "create: step number": ".step__n",
      "create: primary button": ".button--primary",
    })),
  );
  await create.context().close();

  const { ana, ben, links } = await runningSession(browser);
  // Cy joins and leaves: a person who left is shown dimmed, and must stay readable.
  const cy = await (await browser.newContext()).newPage();
  await join(cy, links.observer, "Cy");
  await cy.context().close();
  await expect(ana.getByTestId("person").filter({ hasText: "Cy" })).toHaveAttribute("data-presence", "left", { timeout: 15_000 });
  await ana.getByRole("button", { name: "Next phase" }).click();
  await expect(ana.getByTestId("phase-position")).toHaveText("Phase 2 of 5");
  measured.push(
    ...(await contrast(ana, {
      "session: heading": "h1",
      "session: body text (prompt)": ".phase-card__prompt",
      "session: muted line above the heading": ".eyebrow",
      "session: questions heading": ".phase-card__qhead",
      "session: clock": "[data-testid=clock]",
      "session: clock label": "[data-testid=clock-label]",
      "session: primary button": ".button--primary",
      "session: button": ".controls .button:not(.button--primary):not(:disabled)",
      "session: end button": ".button--danger-quiet",
      "session: undo link": "[data-testid=undo-phase]",
      "session: capability badge": "[data-testid=capability]",
      "session: host badge": ".badge--host",
      "session: live status": ".status__live",
      "session: people count": "[data-testid=present-count]",
      "session: person details": ".person__meta",
      "session: avatar initial": ".avatar",
      "session: person who left": ".person--away .person__name",
      "session: notes save status": "[data-testid=notes-status]",
      "session: phase tab": ".phase-bar__item:not(.phase-bar__item--current):not(.phase-bar__item--done) .phase-bar__tab",
      "session: phase tab, done": ".phase-bar__item--done .phase-bar__tab",
      "session: phase tab, current": ".phase-bar__item--current .phase-bar__tab",
      "session: sound choice": ".choice--small",
    })),
  );
  measured.push(...(await contrast(ben, { "session: participant's hint": ".timer__who" })));
  console.log(`Contrast (text on background, ratio):\n${table(measured)}`);
  expect(measured.filter((m) => m.ratio === 0).map((m) => m.label), "every pair was found on its page").toEqual([]);
  expect(measured.filter((m) => m.ratio < 4.5).map((m) => `${m.label}: ${m.ratio}:1`)).toEqual([]);
  await expectLive(ana);
  await ana.context().close();
  await ben.context().close();
});
