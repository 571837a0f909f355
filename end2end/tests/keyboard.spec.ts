import { expect, Locator, Page } from "@playwright/test";
import { createSession, expectAccessible, expectLive, hydrated, screenshots, test } from "./helpers";

// Keyboard-first hosting (issue 22): the whole pair flow with the keyboard alone, and where the focus lands after
// each step. The session is created with the mouse (creating is the create page's own test); everything after the
// links is keys only.

/** Presses `key` until `target` has the focus; fails after `max` presses. */
async function pressUntilFocused(page: Page, target: Locator, key = "Tab", max = 60) {
  for (let i = 0; i <= max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${key} never reached ${target}`);
}

/** Presses Tab until the focus is on an element that matches `selector` (any radio of a group: which one Tab picks
 * in a group with nothing checked is the browser's choice). */
async function tabToMatch(page: Page, selector: string, max = 60) {
  for (let i = 0; i <= max; i++) {
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Joins from the keyboard: Tab to the name, type it, move the role choice with the arrow keys, Tab to the button. */
async function joinByKeyboard(page: Page, link: string, name: string, roleSteps: number) {
  await page.goto(link);
  await hydrated(page);
  await pressUntilFocused(page, page.locator("#join-name"));
  await page.keyboard.type(name);
  await page.keyboard.press("Tab");
  await expect(page.locator("input[name=role]:focus")).toHaveCount(1);
  for (let i = 0; i < roleSteps; i++) await page.keyboard.press("ArrowDown");
  await pressUntilFocused(page, page.getByRole("button", { name: /^(Join|Enter the session)$/ }));
  await page.keyboard.press("Enter");
  await expectLive(page);
  // The join form is gone: the keyboard moves on to where the session stands, not to the top of the page.
  await expect(page.getByTestId("phase-title")).toBeFocused();
}

test("the whole pair flow runs from the keyboard alone, and the focus always lands somewhere useful", async ({ browser }) => {
  test.setTimeout(120_000);
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana, { goal: "Lead the retro" });
  const ben = await (await browser.newContext()).newPage();

  // GROW: Ana takes the second role (coachee) with one arrow press; Ben gets the first free one, the coach.
  await joinByKeyboard(ana, links.host, "Ana", 1);
  await joinByKeyboard(ben, links.participant, "Ben", 0);
  await expect(ana.locator(".person", { hasText: "Ana" })).toContainText("Coachee");
  const position = ana.getByTestId("phase-position");

  // The skip link comes first on the page and goes straight to the timer; the next Tab is the Start button.
  await pressUntilFocused(ana, ana.locator(".skip-link"), "Shift+Tab");
  await expect(ana.locator(".skip-link")).toBeVisible();
  await ana.keyboard.press("Enter");
  await expect(ana.locator("#timer")).toBeFocused();
  await ana.keyboard.press("Tab");
  const primary = ana.locator("#timer-primary");
  await expect(primary).toBeFocused();
  await expect(primary).toHaveText("▶ Start");

  // Start, pause, resume: one button whose text follows the clock, so the focus stays on it.
  await ana.keyboard.press("Enter");
  await expect(ana.getByTestId("clock-label")).toHaveText("left");
  await expect(primary).toHaveText("❚❚ Pause");
  await expect(primary).toBeFocused();
  await ana.keyboard.press("Space");
  await expect(ana.getByTestId("clock-label")).toHaveText("paused");
  await ana.keyboard.press("Space");
  await expect(ana.getByTestId("clock-label")).toHaveText("left");
  await expect(primary).toBeFocused();

  // Next, then undo: after Next the focus stays on Next; after Undo (whose button then goes) it lands on Next again.
  const next = ana.locator("#phase-next");
  await pressUntilFocused(ana, next);
  await ana.keyboard.press("Enter");
  await expect(position).toHaveText("Phase 2 of 5");
  await expect(next).toBeFocused();
  await ana.keyboard.press("Tab");
  await expect(ana.getByTestId("undo-phase")).toBeFocused();
  await ana.keyboard.press("Enter");
  await expect(position).toHaveText("Phase 1 of 5");
  await expect(ana.getByTestId("undo-phase")).toHaveCount(0);
  await expect(next).toBeFocused();

  // The shortcuts, from wherever the focus is (here the Next button): N, U, +; each change is announced to Ben.
  await ana.keyboard.press("n");
  await expect(position).toHaveText("Phase 2 of 5");
  await expect(ben.getByTestId("announcer")).toHaveText("Ana moved everyone to phase 2 of 5: Reality.");
  await ana.keyboard.press("u");
  await expect(position).toHaveText("Phase 1 of 5");
  await ana.keyboard.press("+");
  await expect(ben.getByTestId("announcer")).toHaveText("Ana added one minute.");
  await expect(ana.getByTestId("announcer")).toHaveText("Added one minute.");
  await ana.keyboard.press("p");
  await expect(ana.getByTestId("notice")).toHaveText("");
  await expect(position).toHaveText("Phase 1 of 5");

  // "?" lists the shortcuts in a dialog; Escape closes it and gives the focus back.
  await ana.keyboard.press("?");
  const dialog = ana.getByTestId("shortcuts");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("heading", { name: "Keyboard shortcuts" })).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Close" })).toBeFocused();
  // Shortcuts do nothing while it is open.
  await ana.keyboard.press("n");
  await expect(position).toHaveText("Phase 1 of 5");
  await expectAccessible(ana);
  await screenshots(ana, "keyboard-shortcuts");
  await ana.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(next).toBeFocused();
  // The same list from its button in the timer card, closed with its own button.
  await ana.getByTestId("shortcuts-open").click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
  await expect(ana.getByTestId("shortcuts-open")).toBeFocused();
  await pressUntilFocused(ana, next, "Shift+Tab");

  // A note: typing letters in a field is never a shortcut.
  const note = ana.getByTestId("notes-goal-statement");
  await pressUntilFocused(ana, note, "Shift+Tab");
  await ana.keyboard.type("Run the next retro unaided");
  await expect(note).toHaveValue("Run the next retro unaided");
  await expect(ana.getByTestId("notes-status")).toHaveText("✓ Saved");
  await expect(position).toHaveText("Phase 1 of 5");
  await expect(ben.getByTestId("notes-goal-statement")).toHaveValue("Run the next retro unaided");

  // A commitment: type, Enter; the field empties and keeps the focus for the next one.
  const commitment = ana.getByLabel("New commitment");
  await pressUntilFocused(ana, commitment);
  await ana.keyboard.type("Ask the team for feedback on the retro");
  await ana.keyboard.press("Enter");
  await expect(ben.getByTestId("commitment-text")).toHaveValue("Ask the team for feedback on the retro");
  await expect(commitment).toHaveValue("");
  await expect(commitment).toBeFocused();

  // To the feedback phase with Next: on the last phase Next is disabled, and the focus moves to Previous.
  await pressUntilFocused(ana, next);
  for (let phase = 2; phase <= 5; phase++) {
    await ana.keyboard.press("Enter");
    await expect(position).toHaveText(`Phase ${phase} of 5`);
  }
  await expect(next).toBeDisabled();
  await expect(ana.locator("#phase-previous")).toBeFocused();

  // Feedback about Ben (the coach): text fields, ratings with the arrow keys, Enter on the button.
  const form = ana.getByTestId("feedback-form");
  await expect(form).toContainText("About Ben.");
  // Sent empty: every missing answer is marked, and the focus goes to the first one, screens above the button.
  const send = form.getByRole("button", { name: "Send feedback" });
  await pressUntilFocused(ana, send, "Shift+Tab");
  await ana.keyboard.press("Enter");
  await expect(form.locator("[data-field=situation] .field__error")).toHaveText("This question needs an answer.");
  await expect(form.getByLabel("Situation")).toBeFocused();
  await ana.keyboard.type("In the retro planning");
  await ana.keyboard.press("Tab");
  await ana.keyboard.type("You let me choose the format");
  await ana.keyboard.press("Tab");
  await ana.keyboard.type("I felt trusted");
  // A rating group: Tab enters it, Space picks the focused value, the arrow keys move the choice.
  for (const field of ["listening", "questions", "clarity"]) {
    await tabToMatch(ana, `[data-field=${field}] input[type=radio]`);
    await ana.keyboard.press("Space");
    const checked = form.locator(`[data-field=${field}] input[type=radio]:checked`);
    for (let i = 0; i < 5; i++) {
      const value = Number(await checked.inputValue());
      if (value === 4) break;
      await ana.keyboard.press(value > 4 ? "ArrowLeft" : "ArrowRight");
      await expect(checked).not.toHaveValue(String(value));
    }
    await expect(form.locator(`[data-field=${field}] input[type=radio]:checked`)).toHaveValue("4");
  }
  await pressUntilFocused(ana, send);
  await ana.keyboard.press("Enter");
  await expect(ana.getByTestId("feedback-saved")).toBeVisible();
  // The button stays and turns into "Update feedback", with the focus on it.
  await expect(form.getByRole("button", { name: "Update feedback" })).toBeFocused();

  // End: the first Enter asks, with the focus on the safe answer; the answer next to it ends the session.
  const open = ana.locator("#end-session-open");
  await pressUntilFocused(ana, open);
  await ana.keyboard.press("Enter");
  await expect(ana.locator("#end-session-keep")).toBeFocused();
  await ana.keyboard.press("Enter");
  await expect(open).toBeFocused();
  await ana.keyboard.press("Enter");
  await expect(ana.locator("#end-session-keep")).toBeFocused();
  await ana.keyboard.press("Shift+Tab");
  await expect(ana.getByRole("button", { name: "End session", exact: true })).toBeFocused();
  await ana.keyboard.press("Enter");
  for (const page of [ana, ben]) {
    await expect(page).toHaveURL(/\/summary/);
    await hydrated(page);
  }
  await expect(ben.getByText("Ask the team for feedback on the retro")).toBeVisible();
});

test("a participant who does not run the timer gets no shortcuts", async ({ browser }) => {
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana);
  const ben = await (await browser.newContext()).newPage();
  await joinByKeyboard(ana, links.host, "Ana", 0);
  await joinByKeyboard(ben, links.participant, "Ben", 0);
  await ben.keyboard.press("n");
  await ben.keyboard.press("Space");
  await ben.keyboard.press("?");
  await expect(ben.getByTestId("shortcuts")).toHaveCount(0);
  await expect(ben.getByTestId("phase-position")).toHaveText("Phase 1 of 5");
  await expect(ben.getByTestId("clock-label")).toHaveText("ready");
  await expect(ana.getByTestId("phase-position")).toHaveText("Phase 1 of 5");
});
