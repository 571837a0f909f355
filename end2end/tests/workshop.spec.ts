import { expect, Page } from "@playwright/test";
import * as fs from "fs";
import { test, hydrated, expectAccessible, screenshots, allowConsoleErrors, joinWorkshop } from "./helpers";

/** The session id of the breakout page a participant is on. */
function breakoutOf(page: Page): string {
  const m = new URL(page.url()).pathname.match(/^\/s\/([^/]+)$/);
  return m ? m[1] : "";
}

// A facilitator and seven participants, each in a browser of their own: the lobby fills live, round 1 opens with
// two pairs and a trio, notes stay inside their breakout, the dashboard follows each breakout (an overtime one in red),
// a message reaches every breakout, call back, round 2 pairs nobody with their round-1 partner, the end, summaries.
test("a facilitator runs a workshop with seven people", async ({ page, browser }) => {
  test.setTimeout(240_000);
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Workshop for a group").check();
  await expect(page.getByTestId("workshop-options")).toBeVisible();
  await page.locator("#workshop-rounds").fill("2");
  await page.locator("#workshop-rounds").press("Tab");
  await page.getByLabel("Minutes for phase 1", { exact: true }).fill("1");
  await page.getByLabel("Session goal").fill("Practise GROW with a new partner");
  await page.getByRole("button", { name: "Create workshop" }).click();
  await page.waitForURL(/\/w\//);
  await hydrated(page);
  await expect(page.getByLabel("Your name")).toHaveValue("Facilitator");
  await page.getByRole("button", { name: "Join" }).click();
  await expect(page.getByTestId("stage-line")).toContainText("Lobby");
  await expect(page.getByTestId("nobody-yet")).toBeVisible();
  const link = await page.getByTestId("participant-link").inputValue();

  const names = ["Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus"];
  const people: Page[] = [];
  const join = async (name: string) => {
    const p = await (await browser.newContext()).newPage();
    await joinWorkshop(p, link, name);
    await expect(p.getByTestId("lobby")).toContainText("You are in");
    people.push(p);
  };
  for (const name of names.slice(0, 6)) await join(name);

  // The join screen, for projecting: a page of its own, in a window of its own; its count keeps up without a reload.
  const [screen] = await Promise.all([page.context().waitForEvent("page"), page.getByTestId("show-join-screen").click()]);
  await screen.waitForLoadState();
  await expect(screen).toHaveTitle("Join the workshop · Tandem");
  await expect(screen.getByTestId("join-count")).toHaveText("6 people have joined");
  await expect(screen.locator(".join-screen__link")).toHaveText(link);
  await expect
    .poll(() => screen.locator(".join-screen__qr").evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBeGreaterThan(0);
  await join(names[6]);
  await expect(screen.getByTestId("join-count")).toHaveText("7 people have joined", { timeout: 15_000 });
  await expectAccessible(screen);
  await screenshots(screen, "workshop-join-screen");
  // The facilitator's own browser showed the join screen: the workshop is in their history from now on.
  const history = await page.context().newPage();
  await history.goto("/me");
  await expect(history.getByTestId("me-workshop")).toContainText("not ended · you facilitated");
  await history.close();

  // The lobby fills live on the facilitator's page.
  await expect(page.getByTestId("people").locator("li")).toHaveCount(7);
  await expect(page.getByTestId("stage-line")).toContainText("7 participants here");
  await expectAccessible(page);
  await expectAccessible(people[0]);
  await screenshots(page, "workshop-lobby");
  await screenshots(people[0], "workshop-participant-lobby");

  // Round 1: two pairs and a trio, proposed, then opened; everyone lands in their breakout.
  await page.getByTestId("propose").click();
  await expect(page.getByTestId("proposal").locator("li.group")).toHaveCount(3);
  await expect(page.getByTestId("repeats")).toContainText("Nobody meets someone they have met before");
  await page.getByTestId("open-breakouts").click();
  for (const p of people) {
    await p.waitForURL(/\/s\//);
    await expect(p.getByTestId("connection")).toContainText("Live");
  }
  const round1 = people.map(breakoutOf);
  expect(new Set(round1).size).toBe(3);
  const sizes = [...new Set(round1)].map((b) => round1.filter((x) => x === b).length).sort();
  expect(sizes).toEqual([2, 2, 3]);

  // The pair starts its clock (1 minute: it runs over while the test goes on).
  const pairId = [...new Set(round1)].find((b) => round1.filter((x) => x === b).length === 2)!;
  const pair = people.filter((_, i) => round1[i] === pairId);
  const trioId = [...new Set(round1)].find((b) => round1.filter((x) => x === b).length === 3)!;
  const trio = people.filter((_, i) => round1[i] === trioId);
  await pair[0].locator("#timer-primary").click();

  // Notes stay inside their breakout.
  await pair[0].getByTestId("notes-goal-statement").fill("Lead the Monday stand-up");
  await expect(pair[1].getByTestId("notes-goal-statement")).toHaveValue("Lead the Monday stand-up");
  await trio[0].getByTestId("notes-goal-statement").fill("Trio notes");
  await expect(trio[1].getByTestId("notes-goal-statement")).toHaveValue("Trio notes");
  await expect(trio[2].getByTestId("notes-goal-statement")).not.toHaveValue("Lead the Monday stand-up");
  await expect(pair[1].getByTestId("notes-goal-statement")).toHaveValue("Lead the Monday stand-up");

  // The dashboard: both breakouts, their phase, who is there.
  const cards = page.getByTestId("breakout-card");
  await expect(cards).toHaveCount(3);
  await expect(page.getByTestId("breakout-phase").first()).toContainText("1.");
  await expect(page.getByTestId("breakout-activity").first()).toContainText("Notes:");
  await expectAccessible(pair[0]);
  await screenshots(pair[0], "workshop-breakout");

  // A message to every breakout.
  await page.getByLabel("Message to every breakout").fill("Halfway: swap who speaks first");
  await page.getByTestId("broadcast-send").click();
  for (const p of people) {
    await expect(p.getByTestId("broadcast")).toContainText("Halfway: swap who speaks first");
  }
  await page.getByTestId("add-1").click();
  await expect(page.getByTestId("workshop-error")).toHaveCount(0);

  // The pair's breakout runs over: red on the dashboard, and the "over time" filter keeps only it.
  await expect(page.locator(".breakout-card--over")).toHaveCount(1, { timeout: 150_000 });
  await page.getByTestId("filter-over").check();
  await expect(cards).toHaveCount(1);
  await page.getByTestId("filter-over").uncheck();
  await page.getByTestId("filter-missing").check();
  await expect(cards).toHaveCount(0);
  await page.getByTestId("filter-missing").uncheck();
  await expectAccessible(page);
  await screenshots(page, "workshop-dashboard");

  // Call everyone back: every page returns to the plenary.
  await page.getByTestId("call-back").click();
  await page.getByTestId("call-back-confirm").click();
  for (const p of people) {
    await p.waitForURL(/\/w\//);
    await expect(p.getByTestId("plenary")).toContainText("Round 1 of 2 is over");
    // With the time their breakout's clocks ran, against the planned minutes.
    await expect(p.getByTestId("my-breakouts")).toContainText(/ · \d+ of \d+ min/);
  }
  await expect(page.getByTestId("stage-line")).toContainText("Plenary after round 1");
  // The facilitator sees the time each breakout took.
  await page.getByTestId("round-times").locator("summary").click();
  await expect
    .poll(() => page.getByTestId("round-times").locator("img").evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBeGreaterThan(0);
  await screenshots(page, "workshop-plenary");

  // Round 2: nobody meets their round-1 partner.
  await expect(page.getByTestId("stage-line")).toContainText("7 participants here");
  await page.getByTestId("propose").click();
  await expect(page.getByTestId("repeats")).toContainText("Nobody meets someone they have met before");
  await page.getByTestId("open-breakouts").click();
  for (const p of people) {
    await p.waitForURL(/\/s\//);
    await expect(p.getByTestId("connection")).toContainText("Live");
  }
  const round2 = people.map(breakoutOf);
  for (let i = 0; i < people.length; i++) {
    for (let j = i + 1; j < people.length; j++) {
      if (round1[i] === round1[j]) expect(round2[i] === round2[j], `${names[i]} and ${names[j]} met again`).toBe(false);
    }
  }

  // The end: everyone sees their breakouts, round by round; the facilitator sees the record.
  await page.getByTestId("end-workshop").click();
  await page.getByTestId("end-workshop-confirm").click();
  await expect(page.getByTestId("workshop-record")).toBeVisible();
  // The join screen still open on the projector says so at its next look, and shows no code to scan.
  await expect(screen.getByRole("heading", { name: "This workshop has ended" })).toBeVisible({ timeout: 15_000 });
  await expect(screen.locator(".join-screen__qr")).toHaveCount(0);
  await screen.close();
  await expect(page.getByText("Invite people")).toBeHidden();
  for (const p of people) {
    await p.waitForURL(/\/w\//);
    await expect(p.getByTestId("workshop-ended")).toBeVisible();
    await expect(p.getByTestId("my-breakouts").locator("li")).toHaveCount(2);
  }
  await expectAccessible(people[0]);
  await expectAccessible(page);
  await screenshots(people[0], "workshop-participant-summary");
  // The record is a page of its own (drawn by the relay): every breakout of both rounds, the chart, who took part.
  await page.getByTestId("record-open").click();
  await expect(page).toHaveURL(/\/w\/[^/]+\/record\?t=/);
  await expect(page.getByTestId("record-rounds").locator("li")).toHaveCount(new Set(round1).size + new Set(round2).size);
  await expect
    .poll(() => page.getByTestId("times-chart").evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBeGreaterThan(0);
  await expect(page.getByRole("heading", { name: /Who took part \(7\)/ })).toBeVisible();
  await expectAccessible(page);
  await screenshots(page, "workshop-record");
  await page.getByTestId("record-back").click();
  await expect(page.getByTestId("workshop-record")).toBeVisible();
  // A breakout's summary opens from there.
  await people[0].getByTestId("my-breakouts").getByRole("link").first().click();
  await expect(people[0].getByRole("heading", { level: 1 })).toBeVisible();

  // Both have it in their history: a participant through their breakouts (inside the workshop's entry), the
  // facilitator through the record page, which opens from there again.
  await people[0].goto("/me");
  const took = people[0].getByTestId("me-workshop");
  await expect(took).toContainText("you took part");
  await expect(took).toContainText("2 rounds, 2 with you in a breakout");
  await expect(took.getByTestId("me-entry")).toHaveCount(2);
  await expect(took.getByTestId("me-entry").first().getByRole("heading")).toHaveText(/^Round 1 · breakout \d$/);
  await expect(people[0].getByTestId("me-history")).toContainText("One workshop. Each opens as you saw it.");
  await expectAccessible(people[0]);
  await screenshots(people[0], "history-workshop");
  await page.goto("/me");
  const facilitated = page.getByTestId("me-workshop");
  await expect(facilitated).toContainText("you facilitated");
  await expect(facilitated).toContainText("7 people took part");
  await expect(facilitated.getByTestId("me-entry")).toHaveCount(0);
  await facilitated.getByRole("link", { name: /^Open the workshop's record/ }).click();
  await expect(page.getByTestId("record-rounds")).toBeVisible();
});

test("a workshop link that is not valid says so", async ({ page }) => {
  allowConsoleErrors(/status of 404/);
  const response = await page.goto("/w/nosuchworkshop?t=wrong");
  expect(response?.status()).toBe(404);
  await hydrated(page);
  await expect(page.getByText("This session link is not valid")).toBeVisible();
});

// Every other control of the facilitator: rename, remove (with its Keep), moving people in a proposal and in an open
// round, one clock for all breakouts, +5 minutes, the confirmations' way back; and an observer who watches only.
test("the facilitator renames, removes, moves and runs one clock for all", async ({ page, browser }) => {
  test.setTimeout(180_000);
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Workshop for a group").check();
  await page.getByTestId("one-clock").check();
  await page.getByTestId("place-late").check();
  await page.getByTestId("place-late").uncheck();
  await page.getByTestId("reads-notes").check();
  await page.getByLabel("Trios", { exact: true }).check();
  await page.getByLabel("Pairs (one trio when the count is odd)").check();
  await page.getByLabel("Plenary before (min)").fill("5");
  await page.getByLabel("Plenary after (min)").fill("5");
  await page.getByRole("button", { name: "Create workshop" }).click();
  await page.waitForURL(/\/w\//);
  await hydrated(page);
  await page.getByRole("button", { name: "Join" }).click();
  await expect(page.getByTestId("stage-line")).toContainText("Lobby");
  await expect(page.getByText("Facilitator link", { exact: true })).toBeVisible();
  const link = await page.getByTestId("participant-link").inputValue();
  const observerLink = await page.getByTestId("observer-link").inputValue();
  await expect(page.getByTestId("stage-line")).toContainText("Plenary: 5 min, not started");

  const names = ["Ana", "Ben", "Cleo", "Dev", "Zed"];
  const people: Page[] = [];
  for (const name of names) {
    const p = await (await browser.newContext()).newPage();
    await joinWorkshop(p, link, name);
    await expect(p.getByTestId("lobby")).toBeVisible();
    people.push(p);
  }
  const observer = await (await browser.newContext()).newPage();
  await joinWorkshop(observer, observerLink, "Obi");
  await expect(observer.getByTestId("stage-line")).toContainText("Lobby");
  await expect(observer.getByTestId("propose")).toHaveCount(0);
  // The opening plenary's clock: the facilitator starts it, everyone sees it count.
  await expect(people[0].getByTestId("stage-line")).toContainText("Plenary: 5 min, not started");
  await expect(observer.getByTestId("start-plenary")).toHaveCount(0);
  await page.getByTestId("start-plenary").click();
  await expect(people[0].getByTestId("stage-line")).toContainText(/Plenary: (4:\d\d|5:00) left/);
  await expect(observer.getByTestId("stage-line")).toContainText(/Plenary: (4:\d\d|5:00) left/);
  await expect(page.getByTestId("start-plenary")).toHaveText("Restart the plenary clock");
  // Starting it again starts it from the full time.
  await page.getByTestId("start-plenary").click();
  await expect(page.getByTestId("workshop-error")).toHaveCount(0);

  // Rename Ana; remove Zed, after first keeping him.
  const rows = page.getByTestId("people").locator("li");
  await expect(rows).toHaveCount(5);
  await rows.filter({ hasText: "Ana" }).getByTestId("rename").click();
  await page.getByLabel("New name").fill("Anna");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("people")).toContainText("Anna");
  await rows.filter({ hasText: "Zed" }).getByTestId("remove").click();
  await expect(page.getByRole("button", { name: "Keep" })).toBeFocused();
  await page.getByRole("button", { name: "Keep" }).click();
  await rows.filter({ hasText: "Zed" }).getByTestId("remove").click();
  await page.getByTestId("remove-confirm").click();
  await expect(people[4].getByTestId("workshop-stopped")).toContainText("The facilitator removed you");
  await expect(rows).toHaveCount(4);
  await people[4].reload();
  await hydrated(people[4]);
  await expect(people[4].getByTestId("workshop-stopped")).toContainText("The facilitator removed you");

  // Propose, move someone from group 1 to group 2 and back, open.
  await page.getByTestId("propose").click();
  const selects = page.getByTestId("move-select");
  await expect(selects).toHaveCount(4);
  await selects.first().selectOption("1");
  await expect(page.getByTestId("proposal").locator("li.group").nth(1).locator("li")).toHaveCount(3);
  await page.getByTestId("proposal").locator("li.group").nth(1).getByTestId("move-select").last().selectOption("0");
  await expect(page.getByTestId("proposal").locator("li.group").first().locator("li")).toHaveCount(2);
  // An unconfirmed proposal, with the facilitator's moves, survives a reload (the relay keeps it), and a second
  // facilitator's page shows the same.
  await page.reload();
  await hydrated(page);
  const second = await (await browser.newContext()).newPage();
  await second.goto(page.url());
  await hydrated(second);
  await second.getByRole("button", { name: "Join" }).click();
  await expect(second.getByTestId("proposal").locator("li.group").first().locator("li")).toHaveCount(2);
  await expect(second.getByTestId("proposal").locator("li.group").nth(1).locator("li")).toHaveCount(2);
  await second.context().close();
  await expect(page.getByTestId("proposal").locator("li.group").first().locator("li")).toHaveCount(2);
  await expect(page.getByTestId("proposal").locator("li.group").nth(1).locator("li")).toHaveCount(2);
  // Emptying a group into another leaves one alone: Open waits, and says why.
  await page.getByTestId("proposal").locator("li.group").first().getByTestId("move-select").first().selectOption("1");
  await expect(page.getByTestId("open-breakouts")).toBeDisabled();
  await page.getByTestId("propose-again").click();
  await expect(page.getByTestId("open-breakouts")).toBeEnabled();
  await page.getByTestId("open-breakouts").click();
  const inRound = people.slice(0, 4);
  for (const p of inRound) await p.waitForURL(/\/s\//);

  // The breakout page says where it belongs, shows the role the round gave, and who runs the clock.
  await expect(inRound[0].locator(".session-head")).toContainText(/round 1 · breakout \d/);
  await expect(inRound[0].getByTestId("role-select")).toBeDisabled();
  await expect(inRound[0].getByText("Your role this round")).toBeVisible();
  await expect(inRound[0].getByText("The facilitator runs the timer.")).toBeVisible();
  // One clock: the members cannot run it; the facilitator starts, pauses, resumes and moves every breakout on.
  await expect(inRound[0].locator("#timer-primary")).toHaveCount(0);
  await page.getByTestId("clock-start").click();
  await expect(page.getByTestId("breakout-clock").first()).toContainText("left");
  await page.getByTestId("clock-pause").click();
  await expect(page.getByTestId("breakout-clock").first()).toContainText("paused");
  await page.getByTestId("clock-resume").click();
  await expect(page.getByTestId("breakout-clock").first()).not.toContainText("paused");
  await page.getByTestId("add-5").click();
  await page.getByTestId("clock-next").click();
  for (const p of inRound) await expect(p.locator("#phase-title")).toContainText("Reality");
  await expect(page.getByTestId("breakout-phase").first()).toContainText("2. Reality");
  // The observer watches the dashboard without the controls.
  await expect(observer.getByTestId("breakout-card")).toHaveCount(2);
  await expect(observer.getByTestId("workshop-actions")).toHaveCount(0);
  // The facilitator may read notes in this workshop: each card links to its breakout, read-only.
  await expect(page.getByTestId("breakout-card").first().getByRole("link", { name: "Read notes" })).toBeVisible();

  // Move someone into the other breakout: their page goes back and into the new one.
  const before = breakoutOf(inRound[0]);
  const card = page.getByTestId("breakout-card").filter({ hasText: "Anna" });
  const target = (await card.locator("h3").textContent())?.includes("Breakout 1") ? "1" : "0";
  await card.locator("li", { hasText: "Anna" }).getByTestId("move-person").selectOption(target);
  // The dashboard redrawn meanwhile (the observer comes back after a reload) keeps the choice.
  await observer.reload();
  await hydrated(observer);
  await expect(observer.getByTestId("breakout-card")).toHaveCount(2);
  await expect(card.locator("li", { hasText: "Anna" }).getByTestId("move-person")).toHaveValue(target);
  await card.locator("li", { hasText: "Anna" }).getByTestId("move-go").click();
  await expect.poll(() => breakoutOf(inRound[0]), { timeout: 15_000 }).not.toBe(before);
  await expect(inRound[0].getByTestId("connection")).toContainText("Live");
  await expect(inRound[0].getByTestId("broadcast")).toContainText(`You were moved to breakout ${Number(target) + 1}.`);

  // The confirmations have a way back.
  await page.getByTestId("call-back").click();
  await expect(page.getByRole("button", { name: "Not yet" })).toBeFocused();
  await page.getByRole("button", { name: "Not yet" }).click();
  await page.getByTestId("end-workshop").click();
  await expect(page.getByRole("button", { name: "Keep going" })).toBeFocused();
  await page.getByRole("button", { name: "Keep going" }).click();
  await expect(page.getByTestId("stage-line")).toContainText("breakouts open");
  await page.getByTestId("end-workshop").click();
  await page.getByTestId("end-workshop-confirm").click();
  await expect(page.getByTestId("workshop-record")).toBeVisible();
  await expect(observer.getByTestId("workshop-record")).toBeVisible();
  // The record downloads as Markdown, and prints (the browser's print dialog, stubbed here).
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("record-markdown").click()]);
  const markdown = fs.readFileSync((await download.path())!, "utf8");
  expect(markdown).toContain("## Round 1");
  expect(markdown).toContain("Anna");
  await page.getByTestId("record-open").click();
  await expect(page.getByTestId("record-rounds")).toBeVisible();
  await page.evaluate(() => { (window as any).printed = 0; window.print = () => { (window as any).printed += 1; }; });
  await page.getByTestId("record-print").click();
  await expect.poll(() => page.evaluate(() => (window as any).printed)).toBe(1);
  // The observer's link opens the record too (without summaries: it may not read notes).
  await observer.getByTestId("record-open").click();
  await expect(observer.getByTestId("record-rounds").locator("li")).not.toHaveCount(0);
  await expect(observer.getByTestId("record-rounds").getByRole("link")).toHaveCount(0);
});
