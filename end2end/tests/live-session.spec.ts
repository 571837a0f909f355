import { expect } from "@playwright/test";
import {
  allowConsoleErrors, createSession, join, expectLive, expectClocksAgree, expectAccessible, screenshots, hydrated,
  skewedContext, test, clockSeconds,
} from "./helpers";

test("a pair creates, joins, runs the timer together, undoes a phase change, and survives a reload", async ({ browser }) => {
  const hostContext = await browser.newContext();
  const peerContext = await browser.newContext();
  const host = await hostContext.newPage();
  const peer = await peerContext.newPage();

  // Create.
  await host.goto("/");
  await hydrated(host);
  await expectAccessible(host);
  await screenshots(host, "create");
  const links = await createSession(host, { goal: "Ben wants to lead design reviews with confidence" });
  expect(new Set([links.participant, links.host, links.observer]).size).toBe(3);
  for (const link of [links.participant, links.host, links.observer]) {
    const token = new URL(link).searchParams.get("t") ?? "";
    expect(token.length).toBeGreaterThanOrEqual(22); // 128 bits, base64url
  }
  await screenshots(host, "created");

  // Join: host and peer each see the other present.
  await join(host, links.host, "Ana", "coach");
  await join(peer, links.participant, "Ben", "coachee");
  await expect(host.getByTestId("person").filter({ hasText: "Ben" })).toHaveAttribute("data-online", "true");
  await expect(peer.getByTestId("person").filter({ hasText: "Ana" })).toHaveAttribute("data-online", "true");
  await expect(peer.getByTestId("person").filter({ hasText: "Ana" })).toContainText("host");
  await expect(peer.getByText("The host runs the timer.")).toBeVisible();

  // Start: both countdowns agree within a second.
  await host.getByRole("button", { name: /Start/ }).click();
  await expect(peer.getByTestId("clock-label")).toHaveText("left");
  const [a] = await expectClocksAgree([host, peer]);
  expect(a).toBeGreaterThan(4 * 60);
  expect(a).toBeLessThanOrEqual(5 * 60);
  // +1 min and +5 min add time for everyone (their names contain what they show: voice control finds them).
  await host.getByRole("button", { name: "+1 min" }).click();
  await expect.poll(() => clockSeconds(peer)).toBeGreaterThan(5 * 60);
  await host.getByRole("button", { name: "+5 min" }).click();
  await expect.poll(() => clockSeconds(peer)).toBeGreaterThan(10 * 60);
  await expectClocksAgree([host, peer]);
  await expect(host.getByRole("timer")).toHaveCount(1);

  // Next phase, both see it; undo, both are back.
  await host.getByRole("button", { name: /Next phase/ }).click();
  for (const p of [host, peer]) {
    await expect(p.getByTestId("phase-title")).toHaveText("Reality");
    await expect(p.getByTestId("phase-position")).toHaveText("Phase 2 of 5");
  }
  await expect(peer.getByTestId("announcer")).toHaveText("Ana moved everyone to phase 2 of 5: Reality.");
  await host.getByRole("button", { name: /Undo/ }).click();
  for (const p of [host, peer]) {
    await expect(p.getByTestId("phase-title")).toHaveText("Goal");
  }
  await expectClocksAgree([host, peer]);

  // Reload the participant: same time, same identity, no duplicate.
  await peer.reload();
  await expectLive(peer);
  await expect(peer.getByTestId("phase-title")).toHaveText("Goal");
  await expect(peer.getByTestId("person")).toHaveCount(2);
  await expect(peer.getByTestId("person").filter({ hasText: "Ben (you)" })).toHaveCount(1);
  await expect(host.getByTestId("person")).toHaveCount(2);
  await expectClocksAgree([host, peer]);

  // A late joiner whose clock is 7 minutes fast shows the same remaining time.
  const lateContext = await skewedContext(browser, 7 * 60_000);
  const late = await lateContext.newPage();
  await join(late, links.participant, "élodie", "observer");
  expect(await late.evaluate(() => Date.now() - performance.timeOrigin - performance.now())).toBeGreaterThan(6 * 60_000);
  await expectClocksAgree([host, peer, late]);
  await expect(host.getByTestId("present-count")).toHaveText("3 here");
  // Her row is built in the browser, where initials are upper-cased by JS (components/presence.rs, `initial`).
  await expect(host.getByTestId("person").filter({ hasText: "élodie" }).locator(".avatar")).toHaveText("É");

  await expectAccessible(host);
  await screenshots(host, "session-host");
  await screenshots(peer, "session-participant");

  // A closed tab shows as gone.
  await lateContext.close();
  await expect(host.getByTestId("person").filter({ hasText: "élodie" })).toHaveAttribute("data-online", "false", { timeout: 10_000 });
  await hostContext.close();
  await peerContext.close();
});

test("an invalid link shows a clear page with HTTP 404", async ({ page }) => {
  // The browser logs the 404 answer of the page itself as a console error: expected here.
  allowConsoleErrors(/status of 404/);
  const links = await createSession(page);
  const wrong = links.participant.replace(/t=[^&]+/, "t=not-the-token");
  const response = await page.goto(wrong);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This session link is not valid" })).toBeVisible();
  const missing = await page.goto("/s/no-such-session?t=abc");
  expect(missing?.status()).toBe(404);
  await expect(page.getByText("This session link is not valid")).toBeVisible();
  await hydrated(page);
  await expectAccessible(page);
});

test("with 'Everyone taking part', a participant runs the timer and an observer is told who does", async ({ browser }) => {
  const host = await (await browser.newContext()).newPage();
  const links = await createSession(host, { everyone: true });
  await join(host, links.host, "Ana", "coach");
  const peer = await (await browser.newContext()).newPage();
  await join(peer, links.participant, "Ben", "coachee");
  const watcher = await (await browser.newContext()).newPage();
  await join(watcher, links.observer, "Wen");
  // No goal: the heading is the format's name, and the line above it does not repeat it.
  await expect(watcher.locator("h1")).toHaveText("GROW peer coaching");
  await expect(watcher.locator(".session-head .eyebrow")).toHaveText("35 min · 5 phases");
  await peer.getByRole("button", { name: /Start/ }).click();
  await expect(host.getByTestId("clock-label")).toHaveText("left");
  await peer.getByRole("button", { name: /Next phase/ }).click();
  await expect(host.getByTestId("phase-title")).toHaveText("Reality");
  await expect(watcher.getByText("The people taking part run the timer.")).toBeVisible();
  await expect(watcher.getByRole("button", { name: /Start|Pause/ })).toHaveCount(0);
});
