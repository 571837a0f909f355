import { expect, Page } from "@playwright/test";
import { test, hydrated, expectAccessible, screenshots, allowConsoleErrors, joinWorkshop } from "./helpers";

// Skills in a workshop (issue 17): the facilitator lists them at creation; six participants, each in a browser of
// their own, pick what they can help with and want to learn on the skills page (the lobby's "Pick your skills");
// the skills page's picture fills in without a reload, with the gap called out; the facilitator chooses how rounds
// are proposed, and the proposal pairs by skill and says why.

/** What each participant picks: the level per skill they can help with, the skills they want to learn. */
const SKILLS = ["SQL", "Facilitation", "Kubernetes"];
const PEOPLE: [string, Record<string, string>, string[]][] = [
  ["Ana", { SQL: "expert" }, ["Facilitation", "Kubernetes"]],
  ["Ben", { Facilitation: "solid" }, ["SQL", "Kubernetes"]],
  ["Cleo", { SQL: "some" }, ["Kubernetes"]],
  ["Dev", { Facilitation: "any" }, ["SQL"]],
  ["Eli", {}, ["Kubernetes", "SQL"]],
  ["Fay", { SQL: "solid", Facilitation: "expert" }, []],
];

test("six people pick skills; the skills page shows the group's gaps", async ({ page, browser }) => {
  test.setTimeout(240_000);
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Workshop for a group").check();
  // Two suggestions, one added and taken out again, and one skill typed in.
  const suggestion = (name: string) => page.getByTestId("skill-suggestion").filter({ hasText: name });
  await suggestion("SQL").click();
  await suggestion("Facilitation").click();
  await suggestion("Giving feedback").click();
  await expect(suggestion("Giving feedback")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("skills-list")).toHaveValue("SQL\nFacilitation\nGiving feedback");
  await suggestion("Giving feedback").click();
  await expect(suggestion("Giving feedback")).toHaveAttribute("aria-pressed", "false");
  await page.getByTestId("skills-list").press("End");
  await page.getByTestId("skills-list").pressSequentially("\n\nKubernetes\n");
  await expect(page.getByTestId("skills-list")).toHaveValue("SQL\nFacilitation\n\nKubernetes\n");
  await expect(suggestion("SQL")).toHaveAttribute("aria-pressed", "true");
  await expectAccessible(page);
  await screenshots(page, "workshop-skills-create");
  await page.getByRole("button", { name: "Create workshop" }).click();
  await page.waitForURL(/\/w\//);
  await hydrated(page);
  await page.getByRole("button", { name: "Join" }).click();
  await expect(page.getByTestId("skills-open")).toHaveText("Skills picture");
  const link = await page.getByTestId("participant-link").inputValue();

  const people: Page[] = [];
  for (const [name] of PEOPLE) {
    const p = await (await browser.newContext()).newPage();
    await joinWorkshop(p, link, name);
    await expect(p.getByTestId("lobby")).toContainText("You are in");
    people.push(p);
  }
  /** One participant picks on the skills page, reached from their lobby, saves, and goes back to the lobby. */
  const pick = async (i: number) => {
    const [, offers, wants] = PEOPLE[i];
    const p = people[i];
    // The lobby's button leads to the skills page, which opens the form at once.
    await p.getByTestId("skills-open").click();
    await expect(p.getByTestId("skills-form")).toBeVisible();
    for (const [skill, level] of Object.entries(offers)) await p.locator(`#level${SKILLS.indexOf(skill)}`).selectOption(level);
    for (const skill of wants) await p.getByTestId("skills-form").getByRole("checkbox", { name: skill, exact: true }).check();
    await p.getByTestId("skills-save").click();
    await expect(p.getByTestId("skills-saved")).toBeVisible();
    if (i === 0) {
      // The form was opened and sent by the page's script: Back returns to the skills page (a GET, which opens the
      // form again), with no form for the browser to send again.
      await p.goBack();
      await expect(p.getByTestId("skills-form")).toBeVisible();
      await p.goForward();
      await expect(p.getByTestId("skills-saved")).toBeVisible();
      // After a save, the page offers to change them.
      await expect(p.getByTestId("skills-pick")).toHaveText("Change your skills");
      await p.getByTestId("skills-pick").click();
      await expect(p.getByTestId("skills-form").locator(`#level${SKILLS.indexOf("SQL")}`)).toHaveValue("expert");
      await p.getByTestId("skills-save").click();
      await expect(p.getByTestId("skills-saved")).toBeVisible();
    }
    await p.getByTestId("skills-lobby").click();
    await expect(p.getByTestId("lobby")).toContainText("You are in");
  };
  for (let i = 0; i < 5; i++) await pick(i);

  // The facilitator opens the skills page in a tab of their own (to keep beside the lobby, or to project); it keeps
  // itself current: the sixth pick shows there without a reload.
  await expect(page.getByTestId("people").locator("li")).toHaveCount(6);
  await screenshots(page, "workshop-skills-lobby");
  const skills = await page.context().newPage();
  await skills.goto(await page.getByTestId("skills-open").getAttribute("href") ?? "");
  await expect(skills.getByTestId("skills-answered")).toHaveText("5 of 6 participants have picked their skills.");
  await pick(5);
  await expect(skills.getByTestId("skills-answered")).toHaveText("6 of 6 participants have picked their skills.", {
    timeout: 15_000,
  });
  // The lobby's frame shows the same picture, kept current: counts and the called-out gap.
  const lobbyFrame = people[0].frameLocator("[data-testid=skills-frame]");
  await expect(lobbyFrame.getByTestId("skills-answered")).toHaveText("6 of 6 participants have picked their skills.", {
    timeout: 15_000,
  });
  await expect(lobbyFrame.getByTestId("skills-table").locator("tbody tr").first()).toHaveText(/Kubernetes\s*4\s*0/);
  await expect(lobbyFrame.getByTestId("skills-gap")).toHaveText("4 people want Kubernetes; nobody here offers it.");
  await expect(lobbyFrame.getByTestId("skills-markdown")).toHaveCount(0);
  await expectAccessible(people[0]);
  await screenshots(people[0], "workshop-skills-participant-lobby");
  const rows = skills.getByTestId("skills-table").locator("tbody tr");
  // Kubernetes: wanted by 4, offered by none; SQL: 3 and 3; Facilitation: 1 and 3 (the largest gap first).
  await expect(rows).toHaveText([/Kubernetes\s*4\s*0/, /SQL\s*3\s*3/, /Facilitation\s*1\s*3/]);
  await expect(skills.getByTestId("skills-gap")).toHaveText("4 people want Kubernetes; nobody here offers it.");
  await expect(skills.getByTestId("skills-markdown")).toHaveValue(/\| Kubernetes \| 4 \| 0 \| 4 \|/);
  await skills.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await skills.getByTestId("skills-copy").click();
  await expect(skills.getByTestId("skills-copied")).toHaveText("Copied.");
  expect(await skills.evaluate(() => navigator.clipboard.readText())).toContain("| Kubernetes | 4 | 0 | 4 |");
  await expect
    .poll(() => skills.getByTestId("skills-chart").evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBeGreaterThan(0);
  await expect(skills.locator("body")).not.toContainText("Ana");
  await expectAccessible(skills);
  await screenshots(skills, "workshop-skills-page");
  await skills.close();

  // A browser that has not joined is told to join first.
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(link.replace(/\?t=/, "/skills?t="), { waitUntil: "load" });
  await expect(stranger.getByTestId("skills-how")).toBeVisible();
  await expect(stranger.getByTestId("skills-pick")).toBeHidden();

  // A participant opens the form again: it shows their answers.
  const dev = people[3];
  await dev.getByTestId("skills-open").click();
  await expect(dev.getByTestId("skills-form").getByRole("checkbox", { name: "SQL", exact: true })).toBeChecked();
  await expect(dev.locator("#level1")).toHaveValue("any");
  await expectAccessible(dev);
  await screenshots(dev, "workshop-skills-form");
  // Offline, saving keeps the picks on the page and says why (instead of the browser's error page).
  allowConsoleErrors(/ERR_INTERNET_DISCONNECTED/);
  await dev.context().setOffline(true);
  await dev.getByTestId("skills-save").click();
  await expect(dev.getByTestId("skills-error")).toContainText("You are offline");
  await expect(dev.getByTestId("skills-form").getByRole("checkbox", { name: "SQL", exact: true })).toBeChecked();
  await dev.context().setOffline(false);
  await dev.getByRole("link", { name: "Back without saving" }).click();
  await expect(dev.getByTestId("lobby")).toBeVisible();

  // The facilitator's own link, in the same tab: how the next round is proposed (Tandem's way now: by skill).
  await page.getByTestId("skills-open").click();
  await expect(page.getByTestId("pairing-skills")).toBeChecked();
  await page.getByTestId("pairing-random").check();
  await page.getByTestId("pairing-save").click();
  await expect(page.getByTestId("pairing-saved")).toBeVisible();
  await expect(page.getByTestId("pairing-random")).toBeChecked();
  await page.getByTestId("pairing-rotation").check();
  await page.getByTestId("pairing-save").click();
  await expect(page.getByTestId("pairing-rotation")).toBeChecked();
  await page.getByTestId("pairing-skills").check();
  await page.getByTestId("pairing-save").click();
  await expect(page.getByTestId("pairing-skills")).toBeChecked();
  await page.getByTestId("skills-back").click();
  await hydrated(page);

  // The proposal pairs by skill: the SQL expert with someone who wants SQL; the skills page says why.
  await expect(page.getByTestId("stage-line")).toContainText("6 participants here");
  await page.getByTestId("propose").click();
  const groups = page.getByTestId("proposal").locator("li.group");
  await expect(groups).toHaveCount(3);
  const texts = await groups.allInnerTexts();
  const anaGroup = texts.find((t) => t.includes("Ana")) ?? "";
  expect(["Ben", "Dev", "Eli"].some((n) => anaGroup.includes(n)), anaGroup).toBe(true);
  // The frame on the facilitator's page says why each group was proposed, without a reload.
  const reasons = page.frameLocator("[data-testid=skills-frame]").getByTestId("skills-proposal");
  await expect(reasons.locator("li")).toHaveCount(3, { timeout: 15_000 });
  await expect(reasons).toContainText("Ana can help");
  await expectAccessible(page);
  await screenshots(page, "workshop-skills-dashboard");
  await page.getByTestId("skills-open").click();
  await expect(page.getByTestId("skills-proposal").locator("li")).toHaveCount(3);
  await expect(page.getByTestId("skills-proposal")).toContainText("Ana can help");
  await expectAccessible(page);
  await screenshots(page, "workshop-skills-proposal");
  await page.getByTestId("skills-back").click();
  await hydrated(page);
  await expect(page.getByTestId("proposal").locator("li.group")).toHaveCount(3);
});
