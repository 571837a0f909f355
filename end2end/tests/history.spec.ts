import { expect, Page } from "@playwright/test";
import * as fs from "fs";
import { createSession, join, expectAccessible, screenshots, hydrated, test, allowConsoleErrors } from "./helpers";

// "Your history" (issue 18): the sessions a browser joined come back on /me, without an account. Search, open
// commitments ticked from there, the ratings received per skill, another device through the fragment link, the
// download, and "Forget me".

async function rateBen(ana: Page) {
  const form = ana.getByTestId("feedback-form");
  await expect(form).toContainText("About Ben.");
  await form.getByLabel("Situation").fill("When we listened to the retro recording");
  await form.getByLabel("Behaviour").fill("You waited before answering.");
  await form.getByLabel("Impact").fill("I finished my thought.");
  for (const field of ["listening", "questions", "clarity"]) {
    await form.locator(`[data-field=${field}] .rating__option`, { hasText: "4" }).click();
  }
  await form.getByRole("button", { name: "Send feedback" }).click();
  await expect(ana.getByTestId("feedback-saved")).toBeVisible();
}

/** Opens /me and waits until it shows a history or the empty state. */
async function openHistory(page: Page) {
  await page.goto("/me");
  await expect(page.locator("[data-testid=me-entry], [data-testid=me-empty]:visible").first()).toBeVisible();
}

test("a session comes back on /me: search, a commitment ticked, ratings, another device, download, forget me", async ({ browser }) => {
  test.setTimeout(180_000);
  const [ana, ben] = await Promise.all([0, 1].map(async () => (await browser.newContext({ acceptDownloads: true })).newPage()));

  // A first-time visitor is told what will appear.
  await openHistory(ben);
  await expect(ben.getByTestId("me-empty")).toContainText("Nothing here yet");
  await expectAccessible(ben);
  await screenshots(ben, "history-empty");

  // Ana hosts (as coachee), Ben coaches: a note, a commitment of Ben's, Ana's feedback on Ben; then the end.
  const links = await createSession(ana, { goal: "Practise listening" });
  await join(ana, links.host, "Ana", "coachee");
  await join(ben, links.participant, "Ben", "coach");
  await ana.getByTestId("notes-goal-statement").fill("We practised listening without interrupting");
  await ana.getByLabel("New commitment").fill("Write the on-call runbook");
  await ana.getByLabel("Owner", { exact: true }).last().selectOption({ label: "Ben" });
  await ana.getByLabel("Due date (optional)").fill("2026-01-15");
  await ana.getByLabel("New commitment").press("Enter");
  await expect(ben.getByTestId("commitment")).toHaveCount(1);
  await ana.getByLabel("New commitment").fill("Book the retro room");
  await ana.getByLabel("New commitment").press("Enter");
  await expect(ben.getByTestId("commitment")).toHaveCount(2);
  // Nobody here met before: no "From your last session together", only kudos to give.
  const firstPart = ben.frameLocator("[data-testid=follow-up-frame]");
  await expect(firstPart.getByTestId("kudos-give")).toBeVisible();
  await expect(firstPart.getByTestId("follow-up-title")).toHaveCount(0);
  await expect(ana.getByTestId("notes-status")).toHaveAttribute("data-state", "saved");
  for (let i = 0; i < 4; i++) {
    await ana.getByRole("button", { name: "Next phase" }).click();
    await expect(ana.getByTestId("phase-position")).toHaveText(`Phase ${i + 2} of 5`);
  }
  await rateBen(ana);
  await ana.getByRole("button", { name: "End session…" }).click();
  await ana.getByRole("button", { name: "End session", exact: true }).click();
  await expect(ben).toHaveURL(/\/summary\?t=/);

  // A few minutes later they meet again: the new session brings back the first one's commitments, ticked in place.
  const again = await createSession(ana, { goal: "Follow up" });
  await join(ana, again.host, "Ana", "coachee");
  await join(ben, again.participant, "Ben", "coach");
  const followUp = ben.frameLocator("[data-testid=follow-up-frame]");
  await expect(followUp.getByTestId("follow-up-title")).toContainText("From your last session together");
  await expect(followUp.getByTestId("follow-up-title")).toContainText("2 open commitments");
  await expect(followUp.getByTestId("follow-up-commitment")).toHaveCount(2);
  await screenshots(ben, "history-follow-up");
  await followUp.getByRole("button", { name: "Mark done: Book the retro room" }).click();
  await expect(followUp.getByTestId("follow-up-ticked")).toHaveText("Marked done: “Book the retro room”.");
  await expect(followUp.getByTestId("follow-up-title")).toContainText("1 open commitment, 1 done");
  // A mistake is undone in place.
  await followUp.getByRole("button", { name: "Reopen: Book the retro room" }).click();
  await expect(followUp.getByTestId("follow-up-ticked")).toHaveText("Reopened: “Book the retro room”.");
  await followUp.getByRole("button", { name: "Mark done: Book the retro room" }).click();
  await expect(followUp.getByTestId("follow-up-title")).toContainText("1 open commitment, 1 done");
  // Ana joined first, before Ben: her part asks again (every 10 s) and shows the same state.
  await expect(ana.frameLocator("[data-testid=follow-up-frame]").getByTestId("follow-up-title")).toContainText(
    "1 open commitment",
    { timeout: 25_000 },
  );
  // Kudos: Ana thanks Ben from her page; his part shows it (it asks again every 15 s), and he shares it with the host.
  const anaPart = ana.frameLocator("[data-testid=follow-up-frame]");
  await anaPart.getByTestId("kudos-give").click();
  allowConsoleErrors(/status of 422/);
  await anaPart.getByTestId("kudos-send").click();
  await expect(anaPart.getByTestId("kudos-error")).toHaveText("Write what they did.");
  // A paste over 140 characters is refused with its length, never cut without a word, and kept to shorten.
  await anaPart.getByTestId("kudos-text").fill("x".repeat(150));
  await anaPart.getByTestId("kudos-send").click();
  await expect(anaPart.getByTestId("kudos-error")).toHaveText("At most 140 characters: this one has 150.");
  await expect(anaPart.getByTestId("kudos-text")).toHaveValue("x".repeat(150));
  await anaPart.getByTestId("kudos-to").selectOption({ label: "Ben" });
  await anaPart.getByTestId("kudos-text").fill("You summarised the options so clearly");
  await anaPart.getByTestId("kudos-send").click();
  await expect(anaPart.getByTestId("kudos-status")).toHaveText("Kudos sent to Ben.");
  await expect(anaPart.getByTestId("kudos-error")).toHaveText("");
  const received = followUp.getByTestId("kudos-received");
  await expect(received).toContainText("You summarised the options so clearly", { timeout: 25_000 });
  await expect(received).toContainText("from Ana · in Goal");
  await expectAccessible(ben);
  await screenshots(ben, "history-session-part");
  await followUp.getByTestId("kudos-share").click();
  await expect(received).toContainText("(shared)");
  await followUp.getByRole("button", { name: "Stop sharing with the host" }).click();
  await expect(followUp.getByTestId("kudos-status")).toHaveText("No longer shared with the host.");
  await followUp.getByRole("button", { name: "Share with the host" }).click();
  await expect(received).toContainText("(shared)");
  // Ana (the host), her focus still in her part after sending, reads it there without reloading.
  await expect(anaPart.getByTestId("kudos-shared")).toContainText("You summarised the options so clearly", { timeout: 25_000 });
  // Offline, a tick in the part says so and changes nothing.
  allowConsoleErrors(/ERR_INTERNET_DISCONNECTED/);
  await ben.context().setOffline(true);
  await followUp.getByRole("button", { name: "Mark done: Write the on-call runbook" }).click();
  await expect(followUp.getByRole("status").filter({ hasText: "You are offline" })).toHaveText(
    "You are offline: nothing was changed. Try again when the connection is back.",
  );
  await ben.context().setOffline(false);
  await ana.getByRole("button", { name: "End session…" }).click();
  await ana.getByRole("button", { name: "End session", exact: true }).click();
  await expect(ben).toHaveURL(/\/summary\?t=/);

  // The summary shows the kudos he received (a part the relay draws), which he may still share or not.
  await hydrated(ben);
  const summaryKudos = ben.frameLocator("[data-testid=kudos-frame]");
  await expect(summaryKudos.getByTestId("kudos-received")).toContainText("You summarised the options so clearly");
  await expect(summaryKudos.getByTestId("kudos-give")).toHaveCount(0);
  await summaryKudos.getByRole("button", { name: "Stop sharing with the host" }).click();
  await expect(summaryKudos.getByTestId("kudos-received")).not.toContainText("(shared)");
  await summaryKudos.getByRole("button", { name: "Share with the host" }).click();
  await expect(summaryKudos.getByTestId("kudos-received")).toContainText("(shared)");
  await expectAccessible(ben);
  await screenshots(ben, "history-summary-kudos");
  // The summary leads to the history.
  await ben.getByTestId("history-link").click();
  await expect(ben).toHaveURL(/\/me$/);
  await expect(ben.getByTestId("me-entry")).toHaveCount(2);
  const entry = ben.getByTestId("me-entry").last();
  await expect(entry).toContainText("GROW");
  await expect(entry).toContainText("with Ana");
  await expect(entry.getByRole("heading")).toHaveText("Practise listening");
  await expect(entry).toContainText("2 commitments: 1 done, 1 open");
  await expect(ben.getByTestId("me-entry").first().getByRole("heading")).toHaveText("Follow up");

  // Search: the note's word, highlighted; FTS syntax is plain words.
  await ben.getByTestId("me-q").fill("interrupt");
  await ben.getByTestId("me-search").click();
  await expect(ben.getByTestId("me-results-count")).toHaveText("One result for “interrupt”");
  await expect(ben.getByTestId("me-hit").locator("mark")).toHaveText("interrupting");
  await ben.getByTestId("me-q").fill("\"listening*(");
  await ben.getByTestId("me-q").press("Enter");
  await expect(ben.getByTestId("me-results-count")).toHaveText("2 results for “\"listening*(”");

  // The ratings Ana gave, per skill, with the same figures as a table.
  await expect(ben.getByTestId("me-growth")).toContainText("a trend needs at least two");
  await expect(ben.getByTestId("me-growth-table").locator("tbody tr")).toHaveCount(3);
  await expect(ben.getByTestId("me-growth-table")).toContainText("4.0 (1)");
  await expect(ben.getByTestId("me-growth").locator("svg circle")).toHaveCount(3);

  await expect(ben.getByTestId("me-kudos-item")).toContainText("You summarised the options so clearly");

  // The overdue commitment, ticked here, then undone, then ticked again: the summary shows it done.
  const open = ben.getByTestId("me-commitment");
  await expect(open).toContainText("Write the on-call runbook");
  await expect(open).toContainText("overdue since 2026-01-15");
  await expect(open).toContainText("yours");
  await expectAccessible(ben);
  await screenshots(ben, "history");
  await ben.getByTestId("me-tick").click();
  await expect(ben.getByTestId("me-ticked")).toContainText("Marked done");
  await expect(ben.getByTestId("me-commitments-none")).toBeVisible();
  await ben.getByTestId("me-untick").click();
  await expect(ben.getByTestId("me-ticked")).toContainText("Reopened");
  await expect(ben.getByTestId("me-commitment")).toHaveCount(1);
  await ben.getByTestId("me-tick").click();
  await expect(ben.getByTestId("me-commitments-none")).toBeVisible();
  await ana.goto(links.host.replace(/\/s\/([^?]+)\?/, "/s/$1/summary?"));
  await hydrated(ana);
  await expect(ana.locator(".summary").getByText("Write the on-call runbook")).toBeVisible();
  // The host's summary of the second session shows the kudos Ben shared with her.
  await ana.goto(again.host.replace(/\/s\/([^?]+)\?/, "/s/$1/summary?"));
  await expect(ana.frameLocator("[data-testid=kudos-frame]").getByTestId("kudos-shared")).toContainText(
    "You summarised the options so clearly",
  );

  // Download: one Markdown file, one JSON file.
  await ben.reload();
  await expect(ben.getByTestId("me-entry")).toHaveCount(2);
  const [md] = await Promise.all([ben.waitForEvent("download"), ben.getByTestId("me-export-md").click()]);
  expect(md.suggestedFilename()).toBe("tandem-history.md");
  const text = fs.readFileSync(await md.path(), "utf8");
  expect(text).toContain("# Your Tandem history");
  expect(text).toContain("We practised listening without interrupting");
  expect(text).toContain("- [x] Write the on-call runbook (Ben), due 2026-01-15");
  expect(text).toContain("- [x] Book the retro room");
  const [json] = await Promise.all([ben.waitForEvent("download"), ben.getByTestId("me-export-json").click()]);
  const data = JSON.parse(fs.readFileSync(await json.path(), "utf8"));
  expect(data.sessions).toHaveLength(2);
  expect(data.sessions[1].feedback[0].from).toBe("Ana");

  // Another device: the link carries the key in its fragment; the phone shows the same history and keeps it.
  await ben.getByTestId("me-device").locator("summary").click();
  await expect(ben.getByTestId("me-device").locator("svg")).toBeVisible();
  await ben.getByRole("button", { name: "Copy link" }).click();
  await expect(ben.getByTestId("me-device").getByRole("status")).toHaveText(/Copied\.|Select the text and copy it/);
  const deviceLink = await ben.getByTestId("me-device-link").inputValue();
  expect(deviceLink).toMatch(/\/me#k=[A-Za-z0-9_-]{22}$/);
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await phone.goto(deviceLink);
  await expect(phone.getByTestId("me-entry")).toHaveCount(2);
  expect(new URL(phone.url()).hash).toBe("");
  await phone.goto("/me");
  await expect(phone.getByTestId("me-entry")).toHaveCount(2);
  // The summary opened from there, on a device that never joined the session, shows his kudos too (by his key).
  await phone.getByTestId("me-entry").first().getByRole("link").first().click();
  await expect(phone.frameLocator("[data-testid=kudos-frame]").getByTestId("kudos-received")).toContainText(
    "You summarised the options so clearly",
  );
  await phone.goto("/me");
  await expect(phone.getByTestId("me-entry")).toHaveCount(2);

  // Forget me, from the phone: asked to confirm first, then forgotten on both devices.
  await phone.evaluate(() => {
    localStorage.setItem("tandem.identity.s1", JSON.stringify({ key: "k", name: "Ben" }));
    localStorage.setItem("tandem.workshop.w1", JSON.stringify({ key: "k", name: "Ben" }));
    localStorage.setItem("tandem.draft.s1.2", "{}");
    localStorage.setItem("tandem.private.s1", "{}");
    localStorage.setItem("tandem.recent", "[]");
  });
  await phone.getByTestId("me-forget").locator("summary").click();
  await phone.getByTestId("me-forget-confirm").click();
  await expect(phone.getByTestId("me-forget-error")).toHaveText("Tick the box to confirm: nothing was deleted.");
  await phone.getByTestId("me-forget-sure").check();
  await phone.getByTestId("me-forget-confirm").click();
  await expect(phone.getByTestId("me-forgotten")).toContainText("You are forgotten");
  expect(await phone.evaluate(() => localStorage.getItem("tandem.person"))).toBeNull();
  // The phone forgets which participant it was where (reopening a session joins as someone new), and its drafts;
  // the links of sessions it created stay.
  expect(await phone.evaluate(() => Object.keys(localStorage).sort())).toEqual(["tandem.recent"]);
  await openHistory(phone);
  await expect(phone.getByTestId("me-empty")).toBeVisible();
  // Ben's desktop still holds the key, which the relay no longer knows: the same empty state (a 404).
  allowConsoleErrors(/status of 404/);
  await openHistory(ben);
  await expect(ben.getByTestId("me-empty")).toBeVisible();
  // ...and stops keeping that key, so the next visit asks nothing.
  await expect.poll(() => ben.evaluate(() => localStorage.getItem("tandem.person"))).toBeNull();
  // Ana's summary now names Ben "A former participant".
  await ana.reload();
  await hydrated(ana);
  await expect(ana.locator(".summary")).toContainText("A former participant");
});
