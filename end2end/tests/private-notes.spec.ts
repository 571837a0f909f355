import { expect, Page } from "@playwright/test";
import { allowConsoleErrors, createSession, join, expectAccessible, screenshots, test } from "./helpers";

const DRAFT = "private-sbi-prep";
const ANA = "Ana's draft: in Tuesday's review Ben cut in twice while Chloé was explaining";
const BEN = "Ben's draft: Ana's summary of both proposals calmed the whole meeting";

/** Every text the page shows or holds in a field, so that a draft hidden in a value is found too. */
async function everything(page: Page): Promise<string> {
  return page.evaluate(() => {
    const values = Array.from(document.querySelectorAll("textarea, input")).map(
      (el) => (el as HTMLTextAreaElement | HTMLInputElement).value,
    );
    return document.body.innerText + "\n" + values.join("\n");
  });
}

test("SBI drafts are private: each person writes their own, the other never sees it, a reload keeps it", async ({ browser }) => {
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana, { template: "sbi" });
  await join(ana, links.host, "Ana", "giver");
  const ben = await (await browser.newContext()).newPage();
  await join(ben, links.participant, "Ben", "receiver");
  const watcher = await (await browser.newContext()).newPage();
  await join(watcher, links.observer, "Cy");

  for (const page of [ana, ben]) {
    await expect(page.getByRole("heading", { name: "Your private notes" })).toBeVisible();
    await expect(page.getByText("Only you can see this draft.")).toBeVisible();
  }

  // Both type at the same time, each in their own box.
  await Promise.all([
    ana.getByTestId(DRAFT).pressSequentially(ANA, { delay: 5 }),
    ben.getByTestId(DRAFT).pressSequentially(BEN, { delay: 5 }),
  ]);
  for (const page of [ana, ben]) {
    await expect(page.getByTestId("private-status")).toHaveText("✓ Saved");
  }
  await expect(ana.getByTestId(DRAFT)).toHaveValue(ANA);
  await expect(ben.getByTestId(DRAFT)).toHaveValue(BEN);
  // Neither sees the other's draft anywhere on the page; the observer sees neither, and no box to write in.
  expect(await everything(ben)).not.toContain("Ana's draft");
  expect(await everything(ana)).not.toContain("Ben's draft");
  const watched = await everything(watcher);
  expect(watched).not.toContain("Ana's draft");
  expect(watched).not.toContain("Ben's draft");
  await expect(watcher.getByTestId(DRAFT)).toHaveCount(0);
  await expect(watcher.getByTestId("private-status")).toHaveCount(0);
  await expect(watcher.getByTestId("private-observer")).toBeVisible();
  await expect(watcher.getByRole("heading", { name: "Private drafts" })).toBeVisible();
  // The phase card does not call a private draft something to "capture together".
  await expect(ana.getByText("Write for yourself")).toBeVisible();
  await expect(ana.getByText("Capture together")).toHaveCount(0);

  await expectAccessible(ana);
  await screenshots(ana, "sbi-prepare-private");
  await screenshots(watcher, "sbi-prepare-observer");

  // A reload keeps the draft, from the relay: the browser's own copy is dropped first.
  await ana.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith("tandem.private."))
      .forEach((k) => localStorage.removeItem(k)),
  );
  await ana.reload();
  await expect(ana.getByTestId("connection")).toContainText("Live");
  await expect(ana.getByTestId(DRAFT)).toHaveValue(ANA);
  await expect(ana.getByTestId("private-status")).toHaveText("✓ Saved");
  await ben.reload();
  await expect(ben.getByTestId("connection")).toContainText("Live");
  await expect(ben.getByTestId(DRAFT)).toHaveValue(BEN);
  expect(await everything(ben)).not.toContain("Ana's draft");

  // Leaving the field sends at once; the peer still sees nothing.
  await ana.getByTestId(DRAFT).press("End");
  await ana.getByTestId(DRAFT).pressSequentially(" (ask Chloé first)");
  await ana.getByTestId(DRAFT).blur();
  await expect(ana.getByTestId("private-status")).toHaveText("✓ Saved");
  expect(await everything(ben)).not.toContain("ask Chloé first");

  // In the feedback rounds each author still has their own draft at hand, beside the shared "What I heard".
  await ana.getByRole("button", { name: /Next phase/ }).click();
  for (const page of [ana, ben]) {
    await expect(page.getByTestId("phase-title")).toHaveText("Feedback round 1");
  }
  await expect(ana.getByTestId(DRAFT)).toHaveValue(`${ANA} (ask Chloé first)`);
  await expect(ben.getByTestId(DRAFT)).toHaveValue(BEN);
  expect(await everything(ben)).not.toContain("Ana's draft");
  expect(await everything(ana)).not.toContain("Ben's draft");
});

test("a private draft written offline is kept in the browser and saved when the connection is back", async ({ browser }) => {
  // The page retries its socket while the context is offline; the browser logs each refused attempt.
  allowConsoleErrors(/ERR_INTERNET_DISCONNECTED/);
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana, { template: "sbi" });
  await join(ana, links.host, "Ana", "giver");
  const benContext = await browser.newContext();
  const ben = await benContext.newPage();
  await join(ben, links.participant, "Ben", "receiver");

  await benContext.setOffline(true);
  await expect(ben.getByTestId("connection")).toContainText("Reconnecting");
  await ben.getByTestId(DRAFT).fill(BEN);
  await expect(ben.getByTestId("private-status")).toHaveText("Offline — kept in this browser");
  // The tab is closed before the connection is back; a new tab later sends what this browser kept.
  await ben.close();
  await benContext.setOffline(false);
  const again = await benContext.newPage();
  await again.goto(links.participant);
  await expect(again.getByTestId("connection")).toContainText("Live");
  await expect(again.getByTestId(DRAFT)).toHaveValue(BEN);
  await expect(again.getByTestId("private-status")).toHaveText("✓ Saved");
  // Stored by the relay now: a fresh browser profile is not needed to prove it, the welcome of a reload carries it.
  await again.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith("tandem.private."))
      .forEach((k) => localStorage.removeItem(k)),
  );
  await again.reload();
  await expect(again.getByTestId("connection")).toContainText("Live");
  await expect(again.getByTestId(DRAFT)).toHaveValue(BEN);
  expect(await everything(ana)).not.toContain("Ben's draft");
});

test("one person's draft on two devices: the second shows what the first wrote instead of overwriting it", async ({ browser }) => {
  const desk = await (await browser.newContext()).newPage();
  const links = await createSession(desk, { template: "sbi" });
  await join(desk, links.host, "Ana", "giver");
  // A second tab of the same browser is the same person (the same key).
  const laptop = await desk.context().newPage();
  await laptop.goto(links.host);
  await expect(laptop.getByTestId("connection")).toContainText("Live");
  const ben = await (await browser.newContext()).newPage();
  await join(ben, links.participant, "Ben", "receiver");

  await desk.getByTestId(DRAFT).fill(ANA);
  await expect(desk.getByTestId("private-status")).toHaveText("✓ Saved");
  await expect(laptop.getByTestId(DRAFT)).toHaveValue(ANA);
  await expect(laptop.getByTestId("private-status")).toHaveText("✓ Saved");
  // The laptop's later edit goes the other way; Ben never sees either.
  await laptop.getByTestId(DRAFT).fill(ANA + " (and again on Thursday)");
  await expect(desk.getByTestId(DRAFT)).toHaveValue(ANA + " (and again on Thursday)");
  expect(await everything(ben)).not.toContain("Ana's draft");
});

test("a draft the relay refuses says it is not saved, and saves once the text is changed", async ({ browser }) => {
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana, { template: "sbi" });
  await join(ana, links.host, "Ana", "giver");
  const draft = ana.getByTestId(DRAFT);
  // The field stops at the limit; a script (or an old page) could still send more: the relay refuses it.
  await draft.evaluate((el) => el.removeAttribute("maxlength"));
  await draft.fill("x".repeat(20_001));
  await expect(ana.getByTestId("private-status")).toHaveAttribute("data-state", "refused");
  await expect(ana.getByTestId("private-status")).toHaveText("Not saved — change the text to try again");
  await expect(ana.getByTestId("notice")).toBeVisible();
  // A shorter text is sent again and stored.
  await draft.fill("A draft of a reasonable length");
  await expect(ana.getByTestId("private-status")).toHaveText("✓ Saved");
});
