import { expect, Page } from "@playwright/test";
import { createSession, join, expectAccessible, screenshots, test } from "./helpers";

/** Whether any phase tab's title is cut (ellipsis, clamp, or wider than its tab). */
async function cutTitles(page: Page): Promise<string[]> {
  return page.locator(".phase-bar__title").evaluateAll((els) =>
    els
      .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
      .map((el) => el.textContent ?? ""),
  );
}

test("the phase bar: readable Troika tabs at every width, a preview of any phase, a jump there with undo", async ({ browser }) => {
  // Three people walk nine phases at two widths, with axe at each: longer than the default minute on a busy machine.
  test.setTimeout(120_000);
  const hostContext = await browser.newContext();
  const peerContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const host = await hostContext.newPage();
  const peer = await peerContext.newPage();
  const links = await createSession(host, { template: "troika" });
  await join(host, links.host, "Ana", "first-client");
  await join(peer, links.participant, "Ben", "second-client");

  // The host is told, once, visibly and politely, that Ben joined.
  await expect(host.getByTestId("toast")).toHaveText("Ben joined");
  await expect(host.getByTestId("announcer")).toHaveText("Ben joined.");
  await screenshots(host, "join-toast");
  await expect(host.getByTestId("toast")).toHaveCount(0, { timeout: 10_000 });
  await expect(host.getByTestId("announcer")).toHaveText("Ben joined.");

  // Every tab's title is readable in full, on a desktop and on a 390 px phone; the full title is its name.
  const tabs = host.locator(".phase-bar__tab");
  const titles = await host.locator(".phase-bar__title").allTextContents();
  expect(titles.length).toBeGreaterThanOrEqual(9);
  expect(await cutTitles(host)).toEqual([]);
  expect(await cutTitles(peer)).toEqual([]);
  for (const [i, title] of titles.entries()) {
    await expect(tabs.nth(i)).toHaveAttribute("title", title);
    expect(await tabs.nth(i).getAttribute("aria-label")).toBeNull(); // its name is its visible text
  }
  await screenshots(host, "troika-phase-bar");

  // Clicking a tab previews that phase; "Back to the current phase" closes it.
  const third = titles[2];
  await host.getByRole("button", { name: new RegExp(`^${third}`) }).click();
  const preview = host.getByTestId("phase-preview");
  await expect(preview.getByTestId("phase-preview-title")).toHaveText(third);
  await expect(preview).toContainText(`the session is in “${titles[0]}”`);
  await expect(host.getByTestId("phase-title")).toHaveText(titles[0]);
  await expectAccessible(host);
  await screenshots(host, "phase-preview");
  await preview.getByRole("button", { name: "Back to the current phase" }).click();
  await expect(preview).toHaveCount(0);

  // The tabs are reachable from the keyboard; someone who does not run the timer previews without a jump button.
  const peerTab = peer.getByRole("button", { name: new RegExp(`^${titles[5]}`) });
  await peerTab.focus();
  await expect(peerTab).toBeFocused();
  await peer.keyboard.press("Enter");
  await expect(peer.getByTestId("phase-preview-title")).toHaveText(titles[5]);
  await expect(peer.getByRole("button", { name: "Go to this phase" })).toHaveCount(0);
  await expect(peer.getByTestId("phase-preview")).toContainText("The host moves everyone between phases.");
  await screenshots(peer, "phase-preview-participant");
  await peer.getByRole("button", { name: "Back to the current phase" }).click();

  // The host jumps to a late phase: everyone goes there, and on the phone the current tab is scrolled into view.
  const target = titles.length - 2;
  await host.getByRole("button", { name: new RegExp(`^${titles[target]}`) }).click();
  await host.getByRole("button", { name: "Go to this phase" }).click();
  for (const p of [host, peer]) {
    await expect(p.getByTestId("phase-title")).toHaveText(titles[target]);
    await expect(p.getByTestId("phase-position")).toHaveText(`Phase ${target + 1} of ${titles.length}`);
  }
  await expect(host.getByTestId("phase-preview")).toHaveCount(0);
  await expect(peer.getByTestId("announcer")).toContainText(`phase ${target + 1} of ${titles.length}: ${titles[target]}`);
  await expect
    .poll(async () => {
      const bar = await peer.locator(".phase-bar ol").boundingBox();
      const tab = await peer.locator(".phase-bar__tab[aria-current=step]").boundingBox();
      return !!bar && !!tab && tab.x >= bar.x - 1 && tab.x + tab.width <= bar.x + bar.width + 1;
    }, { message: "the current tab is scrolled into view on the phone" })
    .toBe(true);

  // The jump can be undone for a short while; the offer says who moves, and survives a reload within its window.
  const undo = host.getByRole("button", { name: /Undo/ });
  await expect(undo).toHaveText(`↶ Undo: move everyone back to “${titles[0]}”`);
  await screenshots(host, "undo-offer");
  await host.reload();
  await expect(undo).toHaveText(`↶ Undo: move everyone back to “${titles[0]}”`);
  await undo.click();
  for (const p of [host, peer]) {
    await expect(p.getByTestId("phase-title")).toHaveText(titles[0]);
  }
  // Nothing is left to undo: the offer is gone.
  await expect(undo).toHaveCount(0);
  await hostContext.close();
  await peerContext.close();
});

test("presence says reconnecting before left, the tab title carries the clock, the summary shows local times and role names", async ({ browser }) => {
  const hostContext = await browser.newContext({ timezoneId: "America/New_York", locale: "en-US" });
  const peerContext = await browser.newContext();
  const host = await hostContext.newPage();
  const peer = await peerContext.newPage();
  const links = await createSession(host, { goal: "Lead design reviews" });
  await join(host, links.host, "Ana", "coach");
  const baseTitle = await host.title();
  expect(baseTitle).not.toContain("Goal —");
  await join(peer, links.participant, "Ben", "coachee");
  await expect(host.getByTestId("toast")).toHaveText("Ben joined");

  // While the clock runs the tab's title counts down with the phase's name; paused, it is the page's title again.
  await host.getByRole("button", { name: /Start/ }).click();
  await expect(host).toHaveTitle(/^[45]:\d\d · Goal — Tandem$/);
  await expect(peer).toHaveTitle(/^[45]:\d\d · Goal — Tandem$/);
  const first = await peer.title();
  await expect.poll(() => peer.title(), { message: "the title ticks" }).not.toBe(first);
  await host.getByRole("button", { name: /Pause/ }).click();
  await expect(host).toHaveTitle(baseTitle);

  // An observer joins with the observer link (no role).
  const watcherContext = await browser.newContext();
  const watcher = await watcherContext.newPage();
  await join(watcher, links.observer, "Cleo");
  await expect(host.getByTestId("toast")).toHaveText("Cleo joined");

  // Ben's connection drops: "reconnecting…" first, "left" only after the grace period.
  await peerContext.close();
  const ben = host.getByTestId("person").filter({ hasText: "Ben" });
  await expect(ben).toHaveAttribute("data-presence", "reconnecting");
  await expect(ben).toContainText("reconnecting…");
  // Reconnecting keeps his place in the list (between Ana and Cleo); gone, he moves below those present.
  await expect(host.getByTestId("person").nth(1)).toContainText("Ben");
  await expect(ben).toHaveAttribute("data-online", "false");
  await expect(ben).toHaveAttribute("data-presence", "left", { timeout: 15_000 });
  await expect(ben).toContainText("left");
  await expect(ben).not.toContainText("reconnecting");
  await expect(host.getByTestId("person").last()).toContainText("Ben");

  // The summary: the end time in the viewer's own time zone (UTC in the tooltip and in the export), roles by name.
  await host.getByRole("button", { name: "End session…" }).click();
  await host.getByRole("button", { name: "End session", exact: true }).click();
  await expect(host).toHaveURL(/\/summary\?t=/);
  const when = host.getByTestId("local-time");
  await expect(when).toHaveText(/\d{1,2}:\d\d\s?[AP]M (EST|EDT)$/);
  await expect(when).toHaveAttribute("title", /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  const rows = host.locator(".attendance tbody tr");
  await expect(rows.filter({ hasText: "Ana" })).toContainText("Coach");
  await expect(rows.filter({ hasText: "Ben" })).toContainText("Coachee");
  await expect(rows.filter({ hasText: "Cleo" }).locator("td").nth(1)).toHaveText("Observer");
  const markdown = await (await host.request.get(await host.getByTestId("download-markdown").getAttribute("href") ?? "")).text();
  expect(markdown).toMatch(/ended \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  expect(markdown).toContain("- Cleo (Observer)");
  // Time present as the page shows it (m:ss), not rounded down to whole minutes.
  expect(markdown).toMatch(/- Cleo \(Observer\) — \d+:\d\d present/);
  await expectAccessible(host);
  await screenshots(host, "summary-local-time");
  await hostContext.close();
  await watcherContext.close();
});
