import { expect } from "@playwright/test";
import { allowConsoleErrors, createSession, join, expectAccessible, screenshots, test } from "./helpers";

// Issue 19, retention: the host deletes a session from its summary, after a confirmation page the relay draws.
// "Keep it" goes back; "Delete the session" removes everything, and a page still open on it is told it is gone.
test("the host deletes a session after confirming, and its links open nothing any more", async ({ browser }) => {
  const [ana, ben] = await Promise.all([0, 1].map(async () => (await browser.newContext()).newPage()));
  const links = await createSession(ana, { goal: "Practise saying no" });
  await join(ana, links.host, "Ana", "coach");
  await join(ben, links.participant, "Ben", "coachee");
  await ana.getByRole("button", { name: "End session…" }).click();
  await ana.getByRole("button", { name: "End session", exact: true }).click();
  await expect(ana).toHaveURL(/\/summary\?t=/);

  // Only the host's summary offers it.
  await ben.goto(links.participant.replace("?t=", "/summary?t="));
  await expect(ben.getByTestId("download-markdown")).toBeVisible();
  await expect(ben.getByTestId("delete-session")).toHaveCount(0);

  await ana.getByTestId("delete-session").click();
  await expect(ana.getByRole("heading", { name: "Delete “Practise saying no”?" })).toBeVisible();
  await expectAccessible(ana);
  await screenshots(ana, "delete-confirm");
  await ana.getByRole("link", { name: "Keep it" }).click();
  await expect(ana.getByTestId("download-markdown")).toBeVisible();

  await ana.getByTestId("delete-session").click();
  await ana.getByTestId("delete-confirm").click();
  await expect(ana.getByRole("heading", { name: "The session was deleted" })).toBeVisible();
  await screenshots(ana, "delete-done");
  // Its links open nothing now, for anyone (the browser logs the 404).
  allowConsoleErrors(/status of 404/);
  const response = await ben.goto(links.participant);
  expect(response?.status()).toBe(404);
  await expect(ben.getByRole("heading", { name: /not valid/ })).toBeVisible();
  await ana.getByRole("link", { name: "Start a new session" }).click();
  await expect(ana).toHaveURL(/\/$/);
});

test("a page open on a session when it is deleted says so and shows nothing of it any more", async ({ browser }) => {
  const [ana, ben] = await Promise.all([0, 1].map(async () => (await browser.newContext()).newPage()));
  const links = await createSession(ana, { goal: "Gone soon" });
  await join(ana, links.host, "Ana", "coach");
  await join(ben, links.participant, "Ben", "coachee");
  await ben.getByTestId("notes-goal-statement").fill("Something to forget");
  await expect(ana.getByTestId("notes-goal-statement")).toHaveValue("Something to forget");
  // The clock runs: the tab's title counts down.
  await ana.getByRole("button", { name: /Start/ }).click();
  await expect(ben).toHaveTitle(/^\d+:\d\d · /);

  // The host deletes it from the address while it runs (the summary's link is the usual way).
  await ana.goto(links.host.replace("?t=", "/delete?t="));
  await ana.getByTestId("delete-confirm").click();
  await expect(ana.getByRole("heading", { name: "The session was deleted" })).toBeVisible();
  await expect(ben.getByTestId("connection")).toContainText("This session was deleted.");
  await expect(ben.getByTestId("notes-goal-statement")).toBeHidden();
  await expect(ben.getByTestId("clock")).toBeHidden();
  await expect(ben).toHaveTitle(/^[^0-9+].* · Tandem$/);
  await expect(ben.getByRole("heading", { level: 1 })).toContainText("Gone soon");
  await screenshots(ben, "deleted-while-open");
  // Reload opens nothing (the browser logs the 404), and so does the host's reload of the "deleted" page (the form
  // is sent again): a page that says so, with a way on.
  allowConsoleErrors(/status of 404/);
  await ben.getByRole("button", { name: "Reload" }).click();
  await expect(ben.getByRole("heading", { name: /not valid/ })).toBeVisible();
  ana.once("dialog", (d) => d.accept());
  await ana.reload();
  await expect(ana.getByRole("heading", { name: "Link not valid" })).toBeVisible();
  await screenshots(ana, "relay-link-not-valid");
  await ana.getByRole("link", { name: "Start a new session" }).click();
  await expect(ana).toHaveURL(/\/$/);
});
