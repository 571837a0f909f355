import { expect, Page } from "@playwright/test";
import { allowConsoleErrors, createSession, expectAccessible, hydrated, screenshots, test } from "./helpers";

/** The agenda's phase titles, in order, as the editor shows them. */
async function titles(page: Page): Promise<string[]> {
  return page.locator(".agenda-edit__title").evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
}

/** The minutes input of phase `n` (1-based, as the page numbers them). */
function minutes(page: Page, n: number) {
  return page.getByLabel(`Minutes for phase ${n}`, { exact: true });
}

/** The phase titles of a created session, as the relay stored them (read through the summary server function). */
async function storedTitles(page: Page, link: string): Promise<string[]> {
  const url = new URL(link);
  const id = url.pathname.split("/")[2];
  const token = url.searchParams.get("t") ?? "";
  const response = await page.request.post("/api/summary", { form: { id, token } });
  expect(response.status()).toBe(200);
  const summary = await response.json();
  return summary.session.phases.map((p: { title: string }) => p.title);
}

test("phases move up and down without breaking the page, and the session is created in the new order", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  expect(await titles(page)).toEqual(["Goal", "Reality", "Options", "Will", "Feedback"]);
  await expect(page.getByRole("button", { name: "Move phase 1 up" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Move phase 5 down" })).toBeDisabled();

  await page.getByRole("button", { name: "Move phase 2 up" }).click();
  await expect.poll(() => titles(page)).toEqual(["Reality", "Goal", "Options", "Will", "Feedback"]);
  // The focus stays on the moved phase's button (now "Move phase 1 up" is disabled: its twin takes it).
  await expect(page.getByRole("button", { name: "Move phase 1 down" })).toBeFocused();
  await expect(page.getByRole("status").filter({ hasText: "Moved “Reality” to position 1 of 5." })).toHaveCount(1);

  await page.getByRole("button", { name: "Move phase 3 down" }).click();
  await expect.poll(() => titles(page)).toEqual(["Reality", "Goal", "Will", "Options", "Feedback"]);
  await expect(page.getByRole("button", { name: "Move phase 4 down" })).toBeFocused();
  // The keyboard works too: the focused button moves the same phase again.
  await page.keyboard.press("Enter");
  await expect.poll(() => titles(page)).toEqual(["Reality", "Goal", "Will", "Feedback", "Options"]);
  await page.getByRole("button", { name: "Move phase 5 up" }).click();
  await page.getByRole("button", { name: "Move phase 1 down" }).click();
  await expect.poll(() => titles(page)).toEqual(["Goal", "Reality", "Will", "Options", "Feedback"]);
  // Edits after a move still land on the right phase.
  await minutes(page, 3).fill("7");
  await expect(page.getByTestId("agenda-total")).toContainText("5 phases · 37 minutes in all");
  await expect(page.locator("#load-failed")).toHaveCount(0);

  await page.getByRole("button", { name: "Create session" }).click();
  await expect(page.getByRole("heading", { name: "Your session is ready" })).toBeVisible();
  const host = await page.getByTestId("host-link").inputValue();
  expect(await storedTitles(page, host)).toEqual(["Goal", "Reality", "Will", "Options", "Feedback"]);
});

test("bad minutes are marked as typed, never counted, and stop the creation with the focus on the first", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  const total = page.getByTestId("agenda-total");
  await expect(total).toContainText("5 phases · 35 minutes in all.");

  const cases: [string, RegExp][] = [
    ["", /Enter the minutes/],
    ["2.5", /whole minutes/i],
    ["-3", /cannot be negative/],
    ["0", /at least 1 minute/],
    ["300", /at most 240 minutes/],
  ];
  const field = minutes(page, 2);
  for (const [value, message] of cases) {
    await field.fill(value);
    await expect(field).toHaveAttribute("aria-invalid", "true");
    // The message is tied to the field: its accessible description.
    await expect(field).toHaveAccessibleDescription(message);
    await expect(page.getByTestId("minutes-error").filter({ hasText: message })).toBeVisible();
    // Reality's 10 minutes are left out, never counted as 0 or as a wrong figure.
    await expect(total).toContainText("5 phases · 25 minutes in all, not counting 1 phase with invalid minutes.");
  }
  await field.fill("12");
  await expect(field).not.toHaveAttribute("aria-invalid", "true");
  await expect(total).toContainText("5 phases · 37 minutes in all.");

  // Two bad fields: submitting creates nothing and puts the focus on the first one.
  await minutes(page, 4).fill("-3");
  await field.fill("2.5");
  await page.getByLabel("Title of phase 5", { exact: true }).fill("");
  await expect(page.getByLabel("Title of phase 5", { exact: true })).toHaveAccessibleDescription("Give this phase a title.");
  await expect(total).toContainText("not counting 2 phases with invalid minutes.");
  await page.getByRole("button", { name: "Create session" }).click();
  await expect(field).toBeFocused();
  await expect(page.getByTestId("create-error")).toContainText("3 phases need a fix before the session can be created");
  await expect(page.getByTestId("create-error")).toContainText("Phase 2: Use whole minutes");
  await expectAccessible(page);
  await field.scrollIntoViewIfNeeded();
  await screenshots(page, "create-field-error");
  await expect(page).toHaveURL(/\/$/);

  // Fixing them one by one: the message under the button follows, and the next submit goes to the next bad field.
  await field.fill("10");
  await expect(page.getByTestId("create-error")).toContainText("Phase 4: Minutes cannot be negative");
  await page.getByRole("button", { name: "Create session" }).click();
  await expect(minutes(page, 4)).toBeFocused();
  await minutes(page, 4).fill("5");
  await page.getByLabel("Title of phase 5", { exact: true }).fill("Feedback");
  await expect(page.getByTestId("create-error")).toBeEmpty();
  await page.getByRole("button", { name: "Create session" }).click();
  await expect(page.getByRole("heading", { name: "Your session is ready" })).toBeVisible();
});

test("switching the format or resetting an edited agenda can be undone", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  const sbi = page.locator("input[name=template][value=sbi]");
  const grow = page.locator("input[name=template][value=grow]");

  // An unedited agenda is simply replaced: there is nothing to bring back.
  await sbi.check();
  await expect(page.getByTestId("replaced-note")).toHaveCount(0);
  await grow.check();
  await expect(page.getByTestId("replaced-note")).toHaveCount(0);

  // Edit GROW, then switch: SBI's agenda replaces it at once, with an Undo.
  await page.getByLabel("Title of phase 1", { exact: true }).fill("What Ben wants");
  await minutes(page, 2).fill("12");
  await page.getByRole("button", { name: "Move phase 3 down" }).click();
  const edited = ["What Ben wants", "Reality", "Will", "Options", "Feedback"];
  await expect.poll(() => titles(page)).toEqual(edited);
  await sbi.check();
  const note = page.getByTestId("replaced-note");
  await expect(note).toContainText("Agenda replaced by “SBI peer feedback”.");
  await expect.poll(() => titles(page)).not.toEqual(edited);
  await note.getByRole("button", { name: "Undo" }).click();
  await expect(grow).toBeChecked();
  await expect(grow).toBeFocused();
  await expect.poll(() => titles(page)).toEqual(edited);
  await expect(minutes(page, 2)).toHaveValue("12");
  await expect(page.getByTestId("agenda-total")).toContainText("37 minutes in all");

  // "Reset to the template" likewise.
  await page.getByRole("button", { name: "Reset to the template" }).click();
  await expect(note).toContainText("Agenda reset to “GROW peer coaching”.");
  await expect.poll(() => titles(page)).toEqual(["Goal", "Reality", "Options", "Will", "Feedback"]);
  await expect(minutes(page, 2)).toHaveValue("10");
  await expectAccessible(page);
  await note.getByRole("button", { name: "Undo" }).click();
  await expect.poll(() => titles(page)).toEqual(edited);
  await expect(minutes(page, 2)).toHaveValue("12");
  await expect(page.getByRole("button", { name: "Reset to the template" })).toBeFocused();
  await expect(note).toHaveCount(0);

  // A bad value typed is kept too: undo brings back exactly what was there.
  await minutes(page, 2).fill("2.5");
  await sbi.check();
  await note.getByRole("button", { name: "Undo" }).click();
  await expect(minutes(page, 2)).toHaveValue("2.5");
  await expect(minutes(page, 2)).toHaveAttribute("aria-invalid", "true");
});

test("the ready page has its own address, survives a reload, and the create page lists the session", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.goto("/");
  await hydrated(page);
  // Nothing created on this device yet: no list.
  await expect(page.getByRole("heading", { name: "Recent sessions on this device" })).toHaveCount(0);

  const links = await createSession(page, { template: "sbi", goal: "Feedback on Ana's first demo" });
  await expect(page).toHaveURL(/\/s\/[^/]+\/ready\?t=/);
  const ready = page.url();
  expect(new URL(ready).searchParams.get("t")).toBe(new URL(links.host).searchParams.get("t"));
  await expect(page.locator(".created__goal")).toHaveText("Feedback on Ana's first demo");
  await expectAccessible(page);
  await screenshots(page, "ready");

  // A reload keeps everything.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Your session is ready" })).toBeVisible();
  expect(await page.getByTestId("participant-link").inputValue()).toBe(links.participant);
  expect(await page.getByTestId("host-link").inputValue()).toBe(links.host);
  expect(await page.getByTestId("observer-link").inputValue()).toBe(links.observer);
  await page.getByRole("button", { name: "Copy Participant link" }).click();
  await expect(page.getByRole("button", { name: "Copy Participant link" })).toHaveText("Copied ✓");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(links.participant);
  // Copying another link moves the mark: only the link on the clipboard says so, and only for a moment.
  await page.getByRole("button", { name: "Copy Observer link" }).click();
  await expect(page.getByRole("button", { name: "Copy Observer link" })).toHaveText("Copied ✓");
  await expect(page.getByRole("button", { name: "Copy Participant link" })).toHaveText("Copy");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(links.observer);
  await expect(page.getByRole("button", { name: "Copy Observer link" })).toHaveText("Copy");

  // Only the host token opens it; anything else is the same 404 as every invalid link.
  const id = new URL(ready).pathname.split("/")[2];
  // The browser logs the 404 document itself as a failed load.
  allowConsoleErrors(/Failed to load resource: the server responded with a status of 404/);
  for (const token of [new URL(links.participant).searchParams.get("t"), "wrong"]) {
    const response = await page.goto(`/s/${id}/ready?t=${token}`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "This session link is not valid" })).toBeVisible();
    await expect(page.getByTestId("host-link")).toHaveCount(0);
  }

  // Back on the create page: the session is listed, and leads back to its ready page.
  await page.goto(ready);
  await hydrated(page);
  await page.getByRole("link", { name: "Create another session" }).click();
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
  const item = page.getByTestId("recent-session");
  await expect(item).toHaveCount(1);
  await expect(item).toContainText("SBI peer feedback");
  await expect(item).toContainText("Feedback on Ana's first demo");
  await expect(item).toContainText(/Created \S/);
  await expectAccessible(page);
  await screenshots(page, "recent");
  await item.getByRole("link").click();
  await expect(page).toHaveURL(ready);
  await hydrated(page);
  // The browser's back button shows the list too.
  await page.goBack();
  await expect(page.getByTestId("recent-session")).toHaveCount(1);

  // A second session goes on top.
  await createSession(page, { goal: "Second one" });
  await page.goBack();
  await hydrated(page);
  await expect(page.getByTestId("recent-session")).toHaveCount(2);
  await expect(page.getByTestId("recent-session").first()).toContainText("Second one");
  await expect(page.getByRole("button", { name: "Create session" })).toBeEnabled();

  // Removing one, with undo; removing both hides the list (after a reload too).
  await page.getByRole("button", { name: /^Remove GROW peer coaching of .* from this list$/ }).click();
  await expect(page.getByTestId("recent-session")).toHaveCount(1);
  await expect(page.getByRole("status").filter({ hasText: "Removed “GROW peer coaching” from this list." })).toBeVisible();
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByTestId("recent-session")).toHaveCount(2);
  for (const name of ["GROW peer coaching", "SBI peer feedback"]) {
    await page.getByRole("button", { name: new RegExp(`^Remove ${name} of .* from this list$`) }).click();
  }
  await expect(page.getByTestId("recent-session")).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Recent sessions on this device" })).toHaveCount(0);

  // "Open the session as host" leads to the session itself.
  await page.goto(ready);
  await hydrated(page);
  await page.getByTestId("open-host").click();
  await expect(page).toHaveURL(links.host);
  await hydrated(page);
});

test("a body that is not a session request gets 400 with a sentence, not 500", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  const response = await page.request.post("/api/create_session", { data: {} });
  expect(response.status()).toBe(400);
  expect(await response.text()).toContain("This request could not be read");
});

test("the ready page of an ended session says so and leads to the summary", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await createSession(page, { template: "sbi" });
  const ready = page.url();
  await page.getByTestId("open-host").click();
  await page.getByLabel("Your name").fill("Ana");
  await page.getByRole("button", { name: "Enter the session" }).click();
  await expect(page.getByTestId("connection")).toContainText("Live");
  await page.getByRole("button", { name: "End session…" }).click();
  await page.getByRole("button", { name: "End session", exact: true }).click();
  await expect(page).toHaveURL(/\/summary\?t=/);
  await page.goto(ready);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "This session has ended" })).toBeVisible();
  await expect(page.getByTestId("participant-link")).toHaveCount(0);
  await page.getByTestId("open-summary").click();
  await expect(page.getByRole("heading", { name: "Planned and actual time" })).toBeVisible();
});

test("removing a phase keeps the keyboard on Undo, and an empty name at join puts it back in the field", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("button", { name: "Remove phase 2" }).click();
  await expect(page.getByRole("button", { name: "Undo", exact: true })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator(".agenda-edit__title")).toHaveCount(5);

  const links = await createSession(page);
  await page.goto(links.participant);
  await hydrated(page);
  await page.getByRole("button", { name: "Join" }).click();
  await expect(page.getByText("Please type your name (up to 40 characters).")).toBeVisible();
  await expect(page.getByLabel("Your name")).toBeFocused();
});
