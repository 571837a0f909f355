import { expect, Page } from "@playwright/test";
import { test, hydrated, expectAccessible, screenshots, allowConsoleErrors } from "./helpers";

/** Joins the workshop page a browser is on under `name`. */
async function joinWorkshop(page: Page, link: string, name: string) {
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Join" }).click();
}

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
  for (const name of names) {
    const p = await (await browser.newContext()).newPage();
    await joinWorkshop(p, link, name);
    await expect(p.getByTestId("lobby")).toContainText("You are in");
    people.push(p);
  }
  // The lobby fills live on the facilitator's page.
  await expect(page.getByTestId("people").locator("li")).toHaveCount(7);
  await expect(page.getByTestId("stage-line")).toContainText("7 participants here");
  await expectAccessible(page);
  await expectAccessible(people[0]);
  await screenshots(page, "workshop-lobby");
  await screenshots(people[0], "workshop-participant-lobby");

  // The join screen, for projecting.
  await page.getByTestId("show-join-screen").click();
  await expect(page.getByTestId("join-screen")).toContainText("7 joined");
  await expectAccessible(page);
  await screenshots(page, "workshop-join-screen");
  await page.getByRole("button", { name: "Close" }).click();

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
  }
  await expect(page.getByTestId("stage-line")).toContainText("Plenary after round 1");

  // Round 2: nobody meets their round-1 partner.
  await expect(page.getByTestId("stage-line")).toContainText("7 participants here");
  await page.getByTestId("propose").click();
  await expect(page.getByTestId("repeats")).toContainText("Nobody meets someone they have met before");
  await page.getByTestId("open-breakouts").click();
  for (const p of people) await p.waitForURL(/\/s\//);
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
  for (const p of people) {
    await p.waitForURL(/\/w\//);
    await expect(p.getByTestId("workshop-ended")).toBeVisible();
    await expect(p.getByTestId("my-breakouts").locator("li")).toHaveCount(2);
  }
  await expectAccessible(people[0]);
  await expectAccessible(page);
  await screenshots(people[0], "workshop-participant-summary");
  await screenshots(page, "workshop-record");
  // A breakout's summary opens from there.
  await people[0].getByTestId("my-breakouts").getByRole("link").first().click();
  await expect(people[0].getByRole("heading", { level: 1 })).toBeVisible();
});

test("a workshop link that is not valid says so", async ({ page }) => {
  allowConsoleErrors(/status of 404/);
  const response = await page.goto("/w/nosuchworkshop?t=wrong");
  expect(response?.status()).toBe(404);
  await hydrated(page);
  await expect(page.getByText("This session link is not valid")).toBeVisible();
});
