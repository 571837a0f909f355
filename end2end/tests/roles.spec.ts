import { expect, Page } from "@playwright/test";
import { createSession, enter, join, expectAccessible, expectLive, screenshots, hydrated, test } from "./helpers";

/** The role radio of the join form whose value is `id`. */
const roleInput = (page: Page, id: string) => page.locator(`input[name=role][value="${id}"]`);

/** The person rows of the people list, as their text. */
async function people(page: Page) {
  return page.getByTestId("person").allTextContents();
}

test("the join form preselects a free role, shows who holds the others, and people change role in the session", async ({ browser }) => {
  const [ana, ben] = await Promise.all([0, 1].map(async () => (await browser.newContext()).newPage()));
  const links = await createSession(ana);
  // Nobody holds a role yet: the first one is preselected.
  await ana.goto(links.host);
  await hydrated(ana);
  await expect(roleInput(ana, "coach")).toBeChecked();
  await ana.getByLabel("Your name").fill("Ana");
  await ana.getByRole("button", { name: "Enter the session" }).click();
  await expectLive(ana);

  // The peer's form preselects the coachee and says who the coach is.
  await ben.goto(links.participant);
  await hydrated(ben);
  await expect(roleInput(ben, "coachee")).toBeChecked();
  await expect(ben.locator(".role", { has: roleInput(ben, "coach") })).toContainText("Coach — Ana");
  await expect(ben.locator(".role", { has: roleInput(ben, "coachee") })).not.toContainText("—");
  await expectAccessible(ben);
  await screenshots(ben, "join-taken-roles");
  await ben.getByLabel("Your name").fill("Ben");
  await ben.getByRole("button", { name: "Join" }).click();
  await expectLive(ben);
  await expect.poll(() => people(ana)).toEqual(expect.arrayContaining([expect.stringContaining("Ben"), expect.stringContaining("Ana")]));
  await expect(ana.getByTestId("person").filter({ hasText: "Ben" })).toContainText("Coachee");

  // Ben changes his role in the session; everyone sees it, and a reload keeps it.
  const select = ben.getByTestId("role-select");
  await expect(select).toHaveValue("coachee");
  await expect(select.locator("option", { hasText: "Coach — Ana" })).toHaveCount(1);
  await select.selectOption("coach");
  await expect(ana.getByTestId("person").filter({ hasText: "Ben" })).toContainText("Coach");
  await expect(ben.getByTestId("role-status")).toHaveText("Ana is also Coach: one of you may want another role.");
  await expectAccessible(ben);
  await screenshots(ben, "role-change");
  // Ana takes the coachee role: a swap, done by each person.
  await ana.getByTestId("role-select").selectOption("coachee");
  await expect(ben.getByTestId("person").filter({ hasText: "Ana" })).toContainText("Coachee");
  await expect(ben.getByTestId("role-status")).toHaveText("");
  await ben.reload();
  await expectLive(ben);
  await expect(ben.getByTestId("role-select")).toHaveValue("coach");
  await expect(ana.getByTestId("person").filter({ hasText: "Ben" })).toContainText("Coach");
});

test("SBI: the second person gets the other role", async ({ browser }) => {
  const [ana, ben] = await Promise.all([0, 1].map(async () => (await browser.newContext()).newPage()));
  const links = await createSession(ana, { template: "sbi" });
  await join(ana, links.host, "Ana");
  await ben.goto(links.participant);
  await hydrated(ben);
  await expect(roleInput(ben, "receiver")).toBeChecked();
  await expect(ben.locator(".role", { has: roleInput(ben, "giver") })).toContainText("Gives feedback first — Ana");
});

test("the same person on a second device continues as themselves, or joins as someone new when they say no", async ({ browser }) => {
  const [desk, laptop, phone] = await Promise.all([0, 1, 2].map(async () => (await browser.newContext()).newPage()));
  const links = await createSession(desk);
  await join(desk, links.host, "Ana", "coach");

  // The host link in another browser, the same name: asked first.
  await enter(laptop, links.host, "ana");
  const claim = laptop.getByTestId("claim");
  await expect(claim).toContainText("This looks like you on another device — continue as Ana?");
  await expect(laptop.getByRole("button", { name: "Yes, continue as Ana" })).toBeFocused();
  await expectAccessible(laptop);
  await screenshots(laptop, "join-same-person");
  await laptop.getByRole("button", { name: "Yes, continue as Ana" }).click();
  await expectLive(laptop);
  // One Ana, the same on both devices; the first device is still connected as her.
  await expect(laptop.getByTestId("person")).toHaveCount(1);
  await expect(laptop.getByTestId("person")).toContainText("Ana (you)");
  await expect(laptop.getByTestId("person")).toContainText("Coach");
  await expect(desk.getByTestId("person")).toHaveCount(1);
  await expect(desk.getByTestId("person")).toHaveAttribute("data-online", "true");
  await expect(laptop.getByRole("button", { name: "Next phase" })).toBeVisible();
  // A reload of the second device is still Ana.
  await laptop.reload();
  await expectLive(laptop);
  await expect(laptop.getByTestId("person")).toHaveCount(1);

  // "No": a new person with that name.
  await enter(phone, links.host, "Ana");
  await phone.getByRole("button", { name: "No, join as someone new" }).click();
  await expectLive(phone);
  await expect(phone.getByTestId("person")).toHaveCount(2);
  await expect(desk.getByTestId("person")).toHaveCount(2);
});

test("where several people share the participant link, a matching name joins as someone new without taking anyone over", async ({ browser }) => {
  const [ana, ben, cy, other] = await Promise.all([0, 1, 2, 3].map(async () => (await browser.newContext()).newPage()));
  const links = await createSession(ana);
  await join(ana, links.host, "Ana", "coach");
  await join(ben, links.participant, "Ben", "coachee");
  // Alone on the participant link, Ben could continue on another device: the form asks.
  await other.goto(links.participant);
  await hydrated(other);
  await other.getByLabel("Your name").fill("ben");
  await other.getByRole("button", { name: "Join" }).click();
  await expect(other.getByTestId("claim")).toContainText("continue as Ben?");

  // Cy joins with the same link while the question is open: now a name alone cannot tell who is who. The relay
  // refuses the claim, says why, and this browser joins as someone new; Ben keeps his own things.
  await join(cy, links.participant, "Cy", "observer");
  await other.getByRole("button", { name: "Yes, continue as Ben" }).click();
  await expectLive(other);
  await expect(other.getByTestId("notice")).toHaveText(
    "Several people joined with this link, so Tandem cannot move Ben to this device yet: you joined as someone new. Keep using the device you joined with first.",
  );
  await screenshots(other, "claim-refused");
  await expect(other.getByTestId("person")).toHaveCount(4);
  await expect(ben.getByTestId("person").filter({ hasText: "(you)" })).toContainText("Ben");

  // And the form no longer offers Ben at all.
  const another = await (await browser.newContext()).newPage();
  await another.goto(links.participant);
  await hydrated(another);
  await another.getByLabel("Your name").fill("Ben");
  await another.getByRole("button", { name: "Join" }).click();
  await expectLive(another);
  await expect(another.getByTestId("claim")).toHaveCount(0);
  await expect(another.getByTestId("person")).toHaveCount(5);
  await expect(ben.getByTestId("person")).toHaveCount(5);
  await expect(ben.getByTestId("person").filter({ hasText: "(you)" })).toHaveCount(1);
});

test("Troika names the client of each round and counts three people", async ({ browser }) => {
  const [ana, ben, cy] = await Promise.all([0, 1, 2].map(async () => (await browser.newContext()).newPage()));
  const links = await createSession(ana, { template: "troika" });
  // The ready page counts three people.
  await expect(ana.locator("main")).toContainText("Send the participant link to the others.");
  await expect(ana.locator("main")).not.toContainText(/your (peer|partner)/);
  await ana.goto(links.host);
  await hydrated(ana);
  await expect(roleInput(ana, "first-client")).toBeChecked();
  await ana.getByLabel("Your name").fill("Ana");
  await ana.getByRole("button", { name: "Enter the session" }).click();
  await expectLive(ana);
  // Alone in a session for three: no "your peer".
  await expect(ana.locator("main")).toContainText("Waiting for the others.");
  await expect(ana.locator("main")).not.toContainText(/your (peer|partner)/);
  await expect(ana.getByTestId("phase-title")).toHaveText("Round 1 · First client shares");
  // The round names its client; a round whose client has not joined says so (phase bar preview).
  await expect(ana.getByTestId("phase-lead")).toHaveText("First client: Ana (you)");
  await ana.getByRole("button", { name: /^Round 2 · Second client shares/ }).click();
  await expect(ana.getByTestId("phase-preview-lead")).toHaveText("Second client: nobody yet");

  await ben.goto(links.participant);
  await hydrated(ben);
  await expect(roleInput(ben, "second-client")).toBeChecked();
  await ben.getByLabel("Your name").fill("Ben");
  await ben.getByRole("button", { name: "Join" }).click();
  await expectLive(ben);
  await cy.goto(links.participant);
  await hydrated(cy);
  await expect(roleInput(cy, "third-client")).toBeChecked();
  await expect(cy.locator(".role", { has: roleInput(cy, "first-client") })).toContainText("First client — Ana");
  await expect(cy.locator(".role", { has: roleInput(cy, "second-client") })).toContainText("Second client — Ben");
  await cy.getByLabel("Your name").fill("Cy");
  await cy.getByRole("button", { name: "Join" }).click();
  await expectLive(cy);
  await expect(ana.getByTestId("person").filter({ hasText: "Cy" })).toContainText("Third client");
  await expect(ana.getByTestId("phase-preview-lead")).toHaveText("Second client: Ben");
  await expect(cy.getByTestId("phase-lead")).toHaveText("First client: Ana");
  await expectAccessible(ana);
  await screenshots(ana, "troika-round-client");
  await ana.getByRole("button", { name: "Back to the current phase" }).click();

  // Round 2 names its client; the last phase's feedback offers both other people, never oneself.
  const next = async (to: number) => {
    await ana.getByRole("button", { name: "Next phase" }).click();
    await expect(ana.getByTestId("phase-position")).toHaveText(`Phase ${to} of 9`);
  };
  for (let i = 2; i <= 4; i++) await next(i);
  await expect(cy.getByTestId("phase-title")).toHaveText("Round 2 · Second client shares");
  await expect(cy.getByTestId("phase-lead")).toHaveText("Second client: Ben");
  await expect(ben.getByTestId("phase-lead")).toHaveText("Second client: Ben (you)");
  for (let i = 5; i <= 9; i++) await next(i);
  await expect(cy.getByTestId("phase-title")).toHaveText("Round 3 · Third client reflects");
  await expect(ana.getByTestId("phase-lead")).toHaveText("Third client: Cy");
  await expect(cy.locator(".partner-tabs .chip")).toHaveText(["About Ana", "About Ben"]);
  await expect(cy.locator("main")).not.toContainText(/your (peer|partner)/);
});

test("teach-back: the learner gives the teacher feedback; the teacher reads who gives it", async ({ browser }) => {
  const [ana, ben] = await Promise.all([0, 1].map(async () => (await browser.newContext()).newPage()));
  const links = await createSession(ana, { template: "teach-back" });
  await join(ana, links.host, "Ana", "teacher");
  await join(ben, links.participant, "Ben", "learner");
  await expect(ana.getByTestId("person")).toHaveCount(2);
  for (let i = 2; i <= 5; i++) {
    await ana.getByRole("button", { name: "Next phase" }).click();
    await expect(ana.getByTestId("phase-position")).toHaveText(`Phase ${i} of 5`);
  }
  await expect(ben.getByTestId("phase-title")).toHaveText("Feedback");
  // The teacher is not asked "What helped me" or "Clarity: … I could teach it now" about the learner…
  await expect(ana.getByTestId("feedback-receiver-note")).toHaveText(
    "In this phase the learner gives you feedback on your teaching: what helped, what would make it even better, and how clear it was. It appears below when it arrives.",
  );
  await expect(ana.getByTestId("feedback-form")).toHaveCount(0);
  // …the learner answers them, about the teacher.
  await expect(ben.getByTestId("feedback-form")).toContainText("About Ana.");
  await expect(ben.getByTestId("feedback-form")).toContainText("I could teach it now");
  await expectAccessible(ana);
  await screenshots(ana, "teach-back-teacher-feedback");
});
