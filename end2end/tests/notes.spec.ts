import { expect, Page } from "@playwright/test";
import { allowConsoleErrors, createSession, join, expectAccessible, screenshots, test } from "./helpers";

const GOAL = "notes-goal-statement";

/** The notes status chip ("saved", "syncing" or "offline"). */
function status(page: Page) {
  return page.getByTestId("notes-status");
}

async function expectSaved(page: Page) {
  await expect(status(page)).toHaveAttribute("data-state", "saved");
}

test("two people type in the same section at once and both keep their text, with presence per section", async ({ browser }) => {
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana, { goal: "Notes together" });
  await join(ana, links.host, "Ana", "coach");
  const ben = await (await browser.newContext()).newPage();
  await join(ben, links.participant, "Ben", "coachee");

  const anaGoal = ana.getByTestId(GOAL);
  const benGoal = ben.getByTestId(GOAL);
  await expect(anaGoal).toBeVisible();
  await expect(benGoal).toBeVisible();

  // Presence: Ben moves into the section, Ana sees him there (and only there).
  await benGoal.click();
  const anaGoalPeers = ana.locator('[data-section="goal-statement"]').getByTestId("section-peers");
  await expect(anaGoalPeers).toContainText("Ben");
  await expect(ana.locator('[data-section="goal-success"]').getByTestId("section-peers")).not.toContainText("Ben");

  // Both type at the same moment, key by key.
  await anaGoal.click();
  await Promise.all([
    anaGoal.pressSequentially("Ana: lead the review. ", { delay: 15 }),
    benGoal.pressSequentially("Ben: shadow first. ", { delay: 15 }),
  ]);
  for (const page of [ana, ben]) {
    const box = page.getByTestId(GOAL);
    await expect(box).toHaveValue(/Ana: lead the review\. /);
    await expect(box).toHaveValue(/Ben: shadow first\. /);
  }
  await expect.poll(async () => (await anaGoal.inputValue()) === (await benGoal.inputValue())).toBe(true);
  await expectSaved(ana);
  await expectSaved(ben);

  // A remote edit does not move the local caret: Ana keeps typing where she is while Ben writes at the start.
  await anaGoal.press("End");
  await Promise.all([
    anaGoal.pressSequentially("Then retro.", { delay: 20 }),
    (async () => {
      await benGoal.press("ControlOrMeta+Home");
      await benGoal.pressSequentially(">> ", { delay: 20 });
    })(),
  ]);
  await expect(anaGoal).toHaveValue(/^>> /);
  await expect(anaGoal).toHaveValue(/Then retro\.$/);
  await expect.poll(async () => (await anaGoal.inputValue()) === (await benGoal.inputValue())).toBe(true);

  // The second section is independent.
  await ben.getByTestId("notes-goal-success").fill("He runs one alone by March");
  await expect(ana.getByTestId("notes-goal-success")).toHaveValue("He runs one alone by March");

  // Reload: the notes come back.
  await ben.reload();
  await expect(ben.getByTestId("connection")).toContainText("Live");
  await expect(ben.getByTestId("notes-goal-success")).toHaveValue("He runs one alone by March");
  await expect(ben.getByTestId(GOAL)).toHaveValue(await anaGoal.inputValue());

  await expectAccessible(ana);
  await screenshots(ana, "notes");

  // Past the 1 MB cap: a clear message in the editor, and nothing already written is lost.
  await ben.getByTestId("notes-goal-success").fill("x".repeat(1_100_000));
  await expect(ben.getByRole("alert").filter({ hasText: "The notes are full" }).first()).toBeVisible();
  await expect(ben.getByTestId("notes-goal-success")).toHaveValue("He runs one alone by March");
  await expect(ana.getByTestId("notes-goal-success")).toHaveValue("He runs one alone by March");
});

test("offline edits stay in the browser, survive closing the tab, and merge when the connection is back", async ({ browser }) => {
  // The page retries its socket while the context is offline; the browser logs each refused attempt.
  allowConsoleErrors(/ERR_INTERNET_DISCONNECTED/);
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana, { goal: "Offline notes" });
  await join(ana, links.host, "Ana", "coach");
  const benContext = await browser.newContext();
  let ben = await benContext.newPage();
  await join(ben, links.participant, "Ben", "coachee");
  await ben.getByTestId(GOAL).fill("Before the tunnel. ");
  await expect(ana.getByTestId(GOAL)).toHaveValue("Before the tunnel. ");

  // Ben loses the network and keeps writing; Ana writes too.
  await benContext.setOffline(true);
  await expect(ben.getByTestId("connection")).toContainText("Reconnecting");
  await ben.getByTestId(GOAL).press("End");
  await ben.getByTestId(GOAL).pressSequentially("Typed offline.", { delay: 10 });
  await expect(status(ben)).toHaveAttribute("data-state", "offline");
  // Fourteen keystrokes in one section are one change a person recognises, not fourteen.
  await expect(status(ben)).toHaveText("Offline — 1 section not synced");
  await screenshots(ben, "notes-offline");
  await ana.getByTestId(GOAL).press("ControlOrMeta+Home");
  await ana.getByTestId(GOAL).pressSequentially("Ana meanwhile. ");

  // Closing the tab with unsynced edits asks first.
  const asked = new Promise<string>((resolve) =>
    ben.once("dialog", async (d) => {
      resolve(d.type());
      await d.dismiss();
    }),
  );
  await ben.close({ runBeforeUnload: true });
  expect(await asked).toBe("beforeunload");
  // Dismissing keeps the page; close it for real: the edits never reached the relay.
  await ben.close();
  await expect(ana.getByTestId(GOAL)).not.toHaveValue(/Typed offline/);

  // Back online in a new tab: the browser's copy merges with what Ana wrote meanwhile.
  await benContext.setOffline(false);
  ben = await benContext.newPage();
  await ben.goto(links.participant);
  await expect(ben.getByTestId("connection")).toContainText("Live");
  for (const page of [ana, ben]) {
    await expect(page.getByTestId(GOAL)).toHaveValue(/Before the tunnel\. /);
    await expect(page.getByTestId(GOAL)).toHaveValue(/Typed offline\./);
    await expect(page.getByTestId(GOAL)).toHaveValue(/Ana meanwhile\. /);
  }
  await expectSaved(ben);

  // Offline and back within the same tab also merges.
  await benContext.setOffline(true);
  await expect(ben.getByTestId("connection")).toContainText("Reconnecting");
  await ben.getByTestId("notes-goal-success").fill("Written in the lift");
  await expect(status(ben)).toHaveAttribute("data-state", "offline");
  await expect(status(ben)).toHaveText("Offline — 1 section not synced");
  await ben.getByTestId(GOAL).press("End");
  await ben.getByTestId(GOAL).pressSequentially(" And here.", { delay: 10 });
  await expect(status(ben)).toHaveText("Offline — 2 sections not synced");
  await benContext.setOffline(false);
  await expect(ana.getByTestId("notes-goal-success")).toHaveValue("Written in the lift");
  await expectSaved(ben);
});

test("commitments are added, owned, ticked, removed and restored live for everyone", async ({ browser }) => {
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana, { goal: "Commit to something" });
  await join(ana, links.host, "Ana", "coach");
  const ben = await (await browser.newContext()).newPage();
  await join(ben, links.participant, "Ben", "coachee");
  const watcher = await (await browser.newContext()).newPage();
  await join(watcher, links.observer, "Cy");

  await expect(ana.getByTestId("commitments-empty")).toBeVisible();
  // Observers are not offered what they cannot do: no "add it here", no "✓ Saved" about edits they cannot make.
  await expect(ana.getByTestId("commitments-empty")).toContainText("add it here");
  await expect(watcher.getByTestId("commitments-empty")).toHaveText("No commitments yet.");
  await expect(watcher.getByTestId("notes-status")).toHaveCount(0);
  await expect(watcher.getByText("✓ Saved")).toHaveCount(0);
  await expect(ana.getByTestId("notes-status")).toHaveText("✓ Saved");
  // An empty commitment is refused with a message.
  await ana.getByRole("button", { name: "Add", exact: true }).click();
  await expect(ana.getByText("Write what will be done.")).toBeVisible();

  await ana.getByLabel("New commitment").fill("Shadow Ana's next design review");
  // The observer (who only reads along) is not offered as an owner.
  await expect(ana.getByLabel("Owner", { exact: true }).last().locator("option")).toHaveText(["No owner", "Ana (you)", "Ben"]);
  await ana.getByLabel("Owner", { exact: true }).last().selectOption({ label: "Ben" });
  await ana.getByLabel("Due date (optional)").fill("2026-12-11");
  await ana.getByLabel("New commitment").press("Enter");
  await expect(ana.getByLabel("New commitment")).toHaveValue("");

  for (const page of [ana, ben, watcher]) {
    const row = page.getByTestId("commitment");
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId("commitment-text")).toHaveValue("Shadow Ana's next design review");
    await expect(row.getByTestId("commitment-due")).toHaveValue("2026-12-11");
    await expect(row.getByTestId("commitment-owner").locator("option:checked")).toHaveText("Ben" + (page === ben ? " (you)" : ""));
  }
  // Observers read only.
  await expect(watcher.getByTestId("add-commitment")).toHaveCount(0);
  await expect(watcher.getByTestId("commitment-done")).toBeDisabled();
  await expect(watcher.getByTestId(GOAL)).toHaveAttribute("readonly", "");

  // Ben ticks it off and rewords it; Ana sees both.
  await ben.getByTestId("commitment-done").check();
  await ben.getByTestId("commitment-text").fill("Shadow two design reviews");
  await ben.getByTestId("commitment-text").press("Tab");
  await expect(ana.getByTestId("commitment")).toHaveAttribute("data-done", "true");
  await expect(ana.getByTestId("commitment-text")).toHaveValue("Shadow two design reviews");
  await expect(ana.getByText("1 of 1 done")).toBeVisible();
  await expectSaved(ben);
  await screenshots(ana, "commitments");

  // Removed by mistake, and undone.
  await ana.getByTestId("commitment-remove").click();
  await expect(ben.getByTestId("commitment")).toHaveCount(0);
  await ana.getByTestId("undo-remove").click();
  await expect(ben.getByTestId("commitment")).toHaveCount(1);
  await expect(ben.getByTestId("commitment-text")).toHaveValue("Shadow two design reviews");

  // Kept across a reload, and in the summary when the session ends.
  await ben.reload();
  await expect(ben.getByTestId("commitment-text")).toHaveValue("Shadow two design reviews");
  await expectSaved(ana);
  await ana.getByRole("button", { name: "End session…" }).click();
  await ana.getByRole("button", { name: "End session", exact: true }).click();
  await expect(ana).toHaveURL(/\/summary\?t=/);
  const summary = ana.getByTestId("summary-commitments");
  await expect(summary).toContainText("Shadow two design reviews");
  await expect(summary).toContainText("Ben");
  await expect(summary).toContainText("2026-12-11");
});

test("a long commitment wraps on a 390 px phone instead of being cut", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const ana = await context.newPage();
  const links = await createSession(ana, { goal: "Long commitments" });
  await join(ana, links.host, "Ana", "coach");
  const long =
    "Shadow two design reviews led by Ana, write down three questions she asks that I would not have asked, and bring them to our next check-in";
  await ana.getByLabel("New commitment").fill(long);
  await ana.getByLabel("New commitment").press("Enter");
  const text = ana.getByTestId("commitment-text");
  await expect(text).toHaveValue(long);
  // Every word is visible: the field grows to several lines, stays inside the phone's width, and scrolls nowhere.
  const box = await text.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  expect(box!.height).toBeGreaterThan(70);
  const fits = await text.evaluate((el: HTMLTextAreaElement) => ({
    wraps: getComputedStyle(el).whiteSpace !== "nowrap" && getComputedStyle(el).whiteSpace !== "pre",
    noHiddenText: el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1,
  }));
  expect(fits).toEqual({ wraps: true, noHiddenText: true });
  // Enter saves an edit as in a one-line field (no line break in the commitment).
  await text.click();
  await text.press("ControlOrMeta+End");
  await text.pressSequentially(" soon");
  await text.press("Enter");
  await expect(text).toHaveValue(long + " soon");
  await expect(text).not.toBeFocused();
  await expectAccessible(ana);
  await text.scrollIntoViewIfNeeded();
  await screenshots(ana, "commitment-long");
});

test("GROW's Will phase has one place for commitments: the Commitments card", async ({ page }) => {
  const links = await createSession(page, { goal: "One place" });
  await join(page, links.host, "Ana", "coach");
  for (let i = 0; i < 3; i++) {
    await page.getByRole("button", { name: "Next phase" }).click();
  }
  await expect(page.getByTestId("phase-title")).toHaveText("Will");
  await expect(page.getByRole("heading", { name: /^Commitments/ })).toHaveCount(1);
  await expect(page.getByTestId("note-section")).toHaveCount(0);
  await expect(page.getByText("Action, owner, date")).toHaveCount(0);
  await expect(page.getByTestId("add-commitment")).toBeVisible();
  await expectAccessible(page);
  await screenshots(page, "grow-will");
});
