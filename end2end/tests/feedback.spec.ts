import { expect, Page } from "@playwright/test";
import * as fs from "fs";
import { createSession, join, expectAccessible, screenshots, hydrated, test } from "./helpers";

async function fillFeedback(page: Page, about: string, situation: string) {
  const form = page.getByTestId("feedback-form");
  if (await page.locator(".partner-tabs").count()) {
    await page.locator(".chip", { hasText: `About ${about}` }).click();
  }
  await expect(form).toContainText(`About ${about}.`);
  await form.getByLabel("Situation").fill(situation);
  await form.getByLabel("Behaviour").fill("You asked what I would do with no constraints.");
  await form.getByLabel("Impact").fill("I saw an option I had ruled out too early.");
  for (const field of ["listening", "questions", "clarity"]) {
    await form.locator(`[data-field=${field}] .rating__option`, { hasText: "4" }).click();
  }
  await form.getByRole("button", { name: /Send feedback|Update feedback/ }).click();
  await expect(page.getByTestId("feedback-saved")).toBeVisible();
}

test("both give feedback, the host ends the session, and each summary shows only what its viewer may see", async ({ browser }) => {
  const [ana, ben, cy] = await Promise.all([0, 1, 2].map(async () => (await browser.newContext({ acceptDownloads: true })).newPage()));
  const links = await createSession(ana, { goal: "Get better at delegating" });
  await join(ana, links.host, "Ana", "coach");
  await join(ben, links.participant, "Ben", "coachee");
  await join(cy, links.participant, "Cy", "observer");

  // The host skips to the feedback phase.
  for (let i = 0; i < 4; i++) {
    await ana.getByRole("button", { name: "Next phase" }).click();
    await expect(ana.getByTestId("phase-position")).toHaveText(`Phase ${i + 2} of 5`);
  }
  await expect(ben.getByTestId("phase-title")).toHaveText("Feedback");

  // A missing required answer is refused at the field, before anything is sent.
  const form = ben.getByTestId("feedback-form");
  await form.getByRole("button", { name: "Send feedback" }).click();
  await expect(form.locator("[data-field=situation] .field__error")).toHaveText("This question needs an answer.");

  await fillFeedback(ben, "Ana", "When I described the vendor conflict");
  await fillFeedback(ana, "Ben", "When you summarised the options");
  await fillFeedback(cy, "Ben", "Cy-private-note for Ben only");
  await expect(ana.getByTestId("received-feedback")).toContainText("When I described the vendor conflict");
  await expect(ben.getByTestId("received-feedback")).toHaveCount(2);
  await expectAccessible(ben);
  await screenshots(ben, "feedback-form");

  // Ending asks first, then every open page turns into the summary.
  await ana.getByRole("button", { name: "End session…" }).click();
  await ana.getByRole("button", { name: "End session", exact: true }).click();
  for (const p of [ana, ben, cy]) {
    await expect(p).toHaveURL(/\/summary\?t=/);
    await expect(p.getByRole("heading", { name: "Planned and actual time" })).toBeVisible();
  }
  await expect(ben.getByTestId("summary-feedback-item")).toHaveCount(3); // gave one, received two
  await expect(ana.getByTestId("summary-feedback-item")).toHaveCount(2); // gave one, received one
  // Private feedback is absent from the host's page, not merely hidden.
  expect(await ana.content()).not.toContain("Cy-private-note");
  expect(await cy.content()).toContain("Cy-private-note");
  expect(await cy.content()).not.toContain("vendor conflict");

  const [download] = await Promise.all([ben.waitForEvent("download"), ben.getByTestId("download-markdown").click()]);
  const markdown = fs.readFileSync((await download.path())!, "utf8");
  expect(markdown).toContain("# Get better at delegating");
  expect(markdown).toContain("## Notes");
  expect(markdown).toContain("## Commitments");
  expect(markdown).toContain("Cy-private-note");
  expect(markdown).toContain("| Goal |");

  await expectAccessible(ana);
  await screenshots(ben, "summary");

  // The session link now leads to the summary; the relay refuses further changes.
  await ben.goto(links.participant);
  await expect(ben.getByTestId("summary-link")).toBeVisible();
  // Following it loads the summary page afresh (links into the lazy create and summary routes are full page loads,
  // so a tab open across a deploy never mixes builds), with the viewer's own feedback.
  await hydrated(ben);
  await ben.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  await ben.getByTestId("summary-link").click();
  await expect(ben).toHaveURL(/\/summary\?t=/);
  await expect(ben.getByRole("heading", { name: "Planned and actual time" })).toBeVisible();
  await expect(ben.getByTestId("summary-feedback-item")).toHaveCount(3);
  expect(await ben.evaluate(() => (window as unknown as { marker?: number }).marker)).toBeUndefined();
});
