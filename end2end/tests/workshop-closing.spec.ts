import { expect, Page } from "@playwright/test";
import { test, hydrated, expectAccessible, screenshots, allowConsoleErrors, joinWorkshop } from "./helpers";

// The workshop's closing question (issue 17): after the end, each participant answers "How useful was your pairing?"
// and "What will you try next?" from their workshop page; the facilitator sees only a count below three answers, then
// the aggregate, and never who gave which.
test("three people answer the closing question; the facilitator sees the answers only together", async ({ page, browser }) => {
  test.setTimeout(180_000);
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Workshop for a group").check();
  await page.locator("#workshop-rounds").fill("1");
  await page.locator("#workshop-rounds").press("Tab");
  await page.getByRole("button", { name: "Create workshop" }).click();
  await page.waitForURL(/\/w\//);
  await hydrated(page);
  await page.getByRole("button", { name: "Join" }).click();
  const link = await page.getByTestId("participant-link").inputValue();
  const names = ["Ana", "Ben", "Cleo"];
  const people: Page[] = [];
  for (const name of names) {
    const p = await (await browser.newContext()).newPage();
    await joinWorkshop(p, link, name);
    await expect(p.getByTestId("lobby")).toContainText("You are in");
    people.push(p);
  }
  // Before any round, the closing page says it is not open yet.
  const early = await people[0].context().newPage();
  await early.goto(link.replace(/\/w\/([^?]+)\?/, "/w/$1/closing?"));
  await expect(early.getByTestId("closing-not-yet")).toContainText("opens once the first round has opened");
  await early.close();

  await expect(page.getByTestId("people").locator("li")).toHaveCount(3);
  await page.getByTestId("propose").click();
  await page.getByTestId("open-breakouts").click();
  for (const p of people) await p.waitForURL(/\/s\//);
  await page.getByTestId("end-workshop").click();
  await page.getByTestId("end-workshop-confirm").click();
  for (const p of people) {
    await p.waitForURL(/\/w\//);
    await expect(p.getByTestId("workshop-ended")).toBeVisible();
  }

  // The facilitator's link opened in another browser after the end still leads to the record.
  const elsewhere = await (await browser.newContext()).newPage();
  await elsewhere.goto(page.url());
  await hydrated(elsewhere);
  await expect(elsewhere.getByTestId("record-open")).toBeVisible();
  await elsewhere.context().close();

  // The facilitator's record says how many answered, and nothing else yet.
  await page.getByTestId("record-open").click();
  await expect(page.getByTestId("closing-open-count")).toContainText("0 of 3 participants have answered so far.");

  /** A participant answers from their ended workshop page. */
  const answer = async (p: Page, rating: number, next: string) => {
    await p.getByTestId("closing-open").click();
    await expect(p.getByTestId("closing-form")).toBeVisible();
    await p.getByRole("radio", { name: new RegExp(`^${rating}:`) }).check();
    await p.getByTestId("closing-next").fill(next);
    await p.getByTestId("closing-send").click();
    await expect(p.getByTestId("closing-thanks")).toContainText("Thank you: your answer is in.");
  };

  // Ana first sends without a rating: told at the field, her text kept; offline, the form stays with what she typed.
  const ana = people[0];
  await ana.getByTestId("closing-open").click();
  await expect(ana.getByTestId("closing-form")).toBeVisible();
  await expect(ana.getByTestId("closing-how")).toBeHidden();
  await expectAccessible(ana);
  await screenshots(ana, "workshop-closing-form");
  await ana.getByTestId("closing-next").fill("Ask one more open question");
  allowConsoleErrors(/status of 422/);
  await ana.getByTestId("closing-send").click();
  await expect(ana.getByTestId("rating-error")).toHaveText("Pick how useful your pairing was, from 1 to 5.");
  await expect(ana.getByTestId("closing-next")).toHaveValue("Ask one more open question");
  allowConsoleErrors(/ERR_INTERNET_DISCONNECTED/);
  await ana.context().setOffline(true);
  await ana.getByRole("radio", { name: /^5:/ }).check();
  await ana.getByTestId("closing-send").click();
  await expect(ana.getByTestId("closing-error")).toContainText("You are offline");
  await expect(ana.getByTestId("closing-next")).toHaveValue("Ask one more open question");
  await ana.context().setOffline(false);
  await ana.getByTestId("closing-send").click();
  await expect(ana.getByTestId("closing-thanks")).toBeVisible();
  await expectAccessible(ana);
  await screenshots(ana, "workshop-closing-thanks");
  // Back from the thanks: the closing page again (no form for the browser to send again), which knows she answered.
  await ana.goBack();
  await expect(ana.getByTestId("closing-done")).toBeVisible();
  await ana.goForward();
  await ana.getByTestId("closing-back").click();
  await expect(ana.getByTestId("workshop-ended")).toBeVisible();
  // Coming back: the page knows she answered and shows no form.
  await ana.getByTestId("closing-open").click();
  await expect(ana.getByTestId("closing-done")).toBeVisible();
  await expect(ana.getByTestId("closing-form")).toBeHidden();

  // Ben looks, goes back without answering, then answers.
  await people[1].getByTestId("closing-open").click();
  await people[1].getByTestId("closing-cancel").click();
  await expect(people[1].getByTestId("workshop-ended")).toBeVisible();
  await answer(people[1], 3, "");
  await page.reload();
  await expect(page.getByTestId("closing-open-count")).toContainText("2 of 3 participants have answered so far.");
  await expect(page.getByText("Ask one more open question")).toHaveCount(0);

  // A browser that never joined sees the hint, not the form.
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(link.replace(/\/w\/([^?]+)\?/, "/w/$1/closing?"));
  await expect(stranger.getByTestId("closing-how")).toBeVisible();
  await expect(stranger.getByTestId("closing-form")).toBeHidden();
  await stranger.getByTestId("closing-workshop").click();
  await stranger.waitForURL(/\/w\/[^/]+\?t=/);
  await hydrated(stranger);

  await answer(people[2], 4, "Book a follow-up with my partner");
  await page.reload();
  // Still open: a count only. The facilitator closes the question on its page (the box first), then sees the answers.
  await expect(page.getByTestId("closing-open-count")).toContainText("3 of 3 participants have answered so far.");
  await expect(page.getByText("Ask one more open question")).toHaveCount(0);
  await page.getByTestId("record-closing").click();
  await page.getByTestId("closing-close").click();
  // Refused in place (no page for Back to send again), with the count still there and the box focused.
  await expect(page.locator("#sure-error")).toHaveText(/Tick the box first/);
  await expect(page.getByTestId("closing-open-count")).toContainText("3 of 3 participants have answered so far.");
  await expect(page.getByTestId("closing-sure")).toBeFocused();
  await page.getByTestId("closing-sure").check();
  await page.getByTestId("closing-close").click();
  await expect(page.getByTestId("closing-average")).toContainText("3 of 3 participants answered");
  await expect(page.getByTestId("closing-average")).toContainText("4.0 of 5");
  await expect(page.getByTestId("closing-next-list").locator("li")).toHaveText([
    "Ask one more open question",
    "Book a follow-up with my partner",
  ]);
  // No participant's name in the closing part of the page or its accessibility tree.
  const part = page.getByTestId("closing-results-part");
  for (const name of names) await expect(part).not.toContainText(name);
  const tree = await part.ariaSnapshot();
  for (const name of names) expect(tree).not.toContain(name);
  await expectAccessible(page);
  await screenshots(page, "workshop-closing-results");
  // A participant's closing page now says the question has closed.
  await people[1].getByTestId("closing-back").click();
  await people[1].getByTestId("closing-open").click();
  await expect(people[1].getByTestId("closing-closed")).toBeVisible();

});
