import { Browser, expect, Page } from "@playwright/test";
import { allowConsoleErrors, createSession, join, expectLive, test } from "./helpers";

// What a browser does around the shared notes beyond typing: two tabs of one session that share the browser's
// stored copy, and input methods (IME) whose composition must not be ended by someone else's edit.

const GOAL = "notes-goal-statement";
const SUCCESS = "notes-goal-success";

/** Ana hosts a session; Ben joins it in two tabs of one browser (one context). Offline spells are expected. */
async function benInTwoTabs(browser: Browser, goal: string) {
  // The pages retry their sockets while offline; the browser logs each refused attempt.
  allowConsoleErrors(/ERR_INTERNET_DISCONNECTED/);
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana, { goal });
  await join(ana, links.host, "Ana", "coach");
  const benContext = await browser.newContext();
  const tabOne = await benContext.newPage();
  await join(tabOne, links.participant, "Ben", "coachee");
  const tabTwo = await benContext.newPage();
  await tabTwo.goto(links.participant);
  await expectLive(tabTwo);
  return { ana, links, benContext, tabOne, tabTwo };
}

test("two tabs of one session, both offline, keep each other's edits, and the tab left open sends them", async ({ browser }) => {
  const { ana, links, benContext, tabOne, tabTwo } = await benInTwoTabs(browser, "Two tabs");

  // One's own other tab is not shown as someone else in the notes: Ben's tab one shows Ana where she is, and
  // not Ben's tab two (Ana moves after she saw Ben's tab two move, so tab one has both moves by then).
  await ana.getByTestId(SUCCESS).click();
  await tabTwo.getByTestId(SUCCESS).click();
  const peers = (page: Page, section: string) => page.locator(`[data-section="${section}"]`).getByTestId("section-peers");
  await expect(peers(ana, "goal-success")).toContainText("Ben");
  await ana.getByTestId(GOAL).click();
  await expect(peers(tabOne, "goal-statement")).toContainText("Ana");
  await expect(peers(tabOne, "goal-success")).not.toContainText("Ben");

  await benContext.setOffline(true);
  for (const tab of [tabOne, tabTwo]) {
    await expect(tab.getByTestId("connection")).toContainText("Reconnecting");
  }
  // Each tab writes in a section of its own; each shows the other's text from the browser's copy.
  await tabOne.getByTestId(GOAL).fill("Written in tab one.");
  await expect(tabOne.getByTestId("notes-status")).toHaveText("Offline — 1 section not synced");
  await expect(tabTwo.getByTestId(GOAL)).toHaveValue("Written in tab one.");
  await tabTwo.getByTestId(SUCCESS).fill("Written in tab two.");
  await expect(tabTwo.getByTestId("notes-status")).toHaveText("Offline — 2 sections not synced");
  await expect(tabOne.getByTestId(SUCCESS)).toHaveValue("Written in tab two.");
  // Tab one closes while offline: its edit is in the browser's copy only.
  await tabOne.close();

  // Back online: the tab left open sends both tabs' edits.
  await benContext.setOffline(false);
  await expectLive(tabTwo);
  for (const page of [tabTwo, ana]) {
    await expect(page.getByTestId(GOAL)).toHaveValue("Written in tab one.");
    await expect(page.getByTestId(SUCCESS)).toHaveValue("Written in tab two.");
  }
  await expect(tabTwo.getByTestId("notes-status")).toHaveAttribute("data-state", "saved");

  // Both tabs offline and closed: a new tab restores both from the browser's copy and sends them.
  const tabThree = await benContext.newPage();
  await tabThree.goto(links.participant);
  await expectLive(tabThree);
  await benContext.setOffline(true);
  await expect(tabThree.getByTestId("connection")).toContainText("Reconnecting");
  await tabThree.getByTestId(GOAL).fill("Rewritten in tab three.");
  await expect(tabTwo.getByTestId(GOAL)).toHaveValue("Rewritten in tab three.");
  await tabTwo.getByTestId(SUCCESS).fill("Rewritten in tab two.");
  await expect(tabThree.getByTestId(SUCCESS)).toHaveValue("Rewritten in tab two.");
  await tabTwo.close();
  await tabThree.close();
  await benContext.setOffline(false);
  const back = await benContext.newPage();
  await back.goto(links.participant);
  await expectLive(back);
  for (const page of [back, ana]) {
    await expect(page.getByTestId(GOAL)).toHaveValue("Rewritten in tab three.");
    await expect(page.getByTestId(SUCCESS)).toHaveValue("Rewritten in tab two.");
  }
  await expect(back.getByTestId("notes-status")).toHaveAttribute("data-state", "saved");
});

test("an input method's composition is not ended by the partner's edit arriving meanwhile", async ({ browser }) => {
  const ana = await (await browser.newContext()).newPage();
  const links = await createSession(ana, { goal: "Input methods" });
  await join(ana, links.host, "Ana", "coach");
  const ben = await (await browser.newContext()).newPage();
  await join(ben, links.participant, "Ben", "coachee");
  await ana.getByTestId(GOAL).fill("Plan. ");
  await expect(ben.getByTestId(GOAL)).toHaveValue("Plan. ");

  // Ben composes with an input method (as Japanese is typed: "に" first, then the chosen "日本").
  const benGoal = ben.getByTestId(GOAL);
  await benGoal.click();
  await benGoal.press("End");
  const ime = await ben.context().newCDPSession(ben);
  await ime.send("Input.imeSetComposition", { text: "に", selectionStart: 1, selectionEnd: 1 });
  await expect(benGoal).toHaveValue("Plan. に");

  // Meanwhile Ana writes at the start, and starts the timer: once Ben's page shows the timer running, her edit
  // (sent to Ben before the timer change) has reached his page too.
  await ana.getByTestId(GOAL).press("ControlOrMeta+Home");
  await ana.getByTestId(GOAL).pressSequentially("Ana: ");
  await expect(ana.getByTestId("notes-status")).toHaveAttribute("data-state", "saved");
  await ana.getByRole("button", { name: /Start/ }).click();
  await expect(ben.getByTestId("clock-label")).toHaveText("left");
  // The textarea was left alone while composing; presence still comes through (it touches no textarea).
  await expect(benGoal).toHaveValue("Plan. に");
  await ana.getByTestId(SUCCESS).click();
  await expect(ben.locator('[data-section="goal-success"]').getByTestId("section-peers")).toContainText("Ana");
  await expect(benGoal).toHaveValue("Plan. に");

  // Ben picks the conversion: the composition ends with it, and Ana's edit shows.
  await ime.send("Input.insertText", { text: "日本" });
  for (const page of [ben, ana]) {
    await expect(page.getByTestId(GOAL)).toHaveValue("Ana: Plan. 日本");
  }
  await expect(ben.getByTestId("notes-status")).toHaveAttribute("data-state", "saved");
});

test("a tab offline alone: the tab online sends its edit, keeps its own selection, and both tabs say saved", async ({ browser }) => {
  const { ana, benContext, tabOne, tabTwo } = await benInTwoTabs(browser, "One tab offline");
  await tabTwo.getByTestId(GOAL).fill("hello world");
  await expect(ana.getByTestId(GOAL)).toHaveValue("hello world");
  await expect(tabOne.getByTestId(GOAL)).toHaveValue("hello world");
  // Tab two has "world" selected.
  await tabTwo.getByTestId(GOAL).click();
  await tabTwo.getByTestId(GOAL).evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(6, 11));

  // Only tab one loses the network, and writes at the start.
  const network = await benContext.newCDPSession(tabOne);
  await network.send("Network.enable");
  await network.send("Network.emulateNetworkConditions", { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await expect(tabOne.getByTestId("connection")).toContainText("Reconnecting");
  await tabOne.getByTestId(GOAL).press("ControlOrMeta+Home");
  await tabOne.getByTestId(GOAL).pressSequentially(">> ");

  // Tab two takes it in from the browser's copy with "world" still selected, and sends it.
  await expect(tabTwo.getByTestId(GOAL)).toHaveValue(">> hello world");
  await expect
    .poll(() => tabTwo.getByTestId(GOAL).evaluate((el: HTMLTextAreaElement) => [el.selectionStart, el.selectionEnd]))
    .toEqual([9, 14]);
  await expect(ana.getByTestId(GOAL)).toHaveValue(">> hello world");
  await expect(tabTwo.getByTestId("notes-status")).toHaveAttribute("data-state", "saved");
  // Tab one, still offline, learns from the copy that its edit was stored, and closes without asking.
  await expect(tabOne.getByTestId("connection")).toContainText("Reconnecting");
  await expect(tabOne.getByTestId("notes-status")).toHaveText("✓ Saved");
  let asked = false;
  tabOne.once("dialog", async (d) => {
    asked = true;
    await d.dismiss();
  });
  await tabOne.close({ runBeforeUnload: true });
  await expect.poll(() => tabOne.isClosed()).toBe(true);
  expect(asked).toBe(false);
});
