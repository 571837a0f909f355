import { expect, Page } from "@playwright/test";
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { join, expectLive, expectClocksAgree, clockSeconds, hydrated, test, allowConsoleErrors } from "./helpers";

// This spec runs its own relay so that it can stop and restart it mid-session.
const PORT = Number(process.env.TANDEM_E2E_PORT ?? 3100) + 1;
const BASE = `http://127.0.0.1:${PORT}`;
const DATA = path.join(__dirname, "..", ".data", `restart-${PORT}`);

async function startRelay(): Promise<ChildProcess> {
  fs.mkdirSync(DATA, { recursive: true });
  const child = spawn(
    path.join(__dirname, "..", "..", "target", "debug", "server"),
    ["--addr", `127.0.0.1:${PORT}`, "--database-url", `sqlite://${DATA}/restart.db`, "--site-root", "../target/site"],
    { cwd: path.join(__dirname, ".."), stdio: "ignore" },
  );
  await expect
    .poll(async () => {
      try {
        return (await fetch(`${BASE}/healthz`)).status;
      } catch {
        return 0;
      }
    }, { timeout: 30_000 })
    .toBe(200);
  return child;
}

/** Creates a session on this spec's relay from its create page; returns the host's and the participants' links. */
async function createOnRelay(page: Page): Promise<{ hostLink: string; participantLink: string }> {
  await page.goto(`${BASE}/`);
  await hydrated(page);
  await page.getByRole("button", { name: "Create session" }).click();
  return {
    hostLink: await page.getByTestId("host-link").inputValue(),
    participantLink: await page.getByTestId("participant-link").inputValue(),
  };
}

async function stopRelay(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

test("after a relay restart mid-session, clients reconnect by themselves with the exact phase and time", async ({ browser }) => {
  fs.rmSync(DATA, { recursive: true, force: true });
  // While this test has the relay stopped, the pages' reconnect attempts are refused: expected, and logged by chromium.
  allowConsoleErrors(/WebSocket connection to '.*' failed: .*ERR_CONNECTION_REFUSED/);
  let relay = await startRelay();
  try {
    const host = await (await browser.newContext()).newPage();
    const peer = await (await browser.newContext()).newPage();
    const { hostLink, participantLink } = await createOnRelay(host);
    await join(host, hostLink, "Ana");
    await join(peer, participantLink, "Ben");

    await host.getByRole("button", { name: /Start/ }).click();
    await host.getByRole("button", { name: /Next phase/ }).click();
    await expect(peer.getByTestId("phase-title")).toHaveText("Reality");
    const [before] = await expectClocksAgree([host, peer]);
    const stoppedAt = Date.now();

    await stopRelay(relay);
    for (const p of [host, peer]) {
      await expect(p.getByTestId("connection")).toContainText("Reconnecting");
    }
    relay = await startRelay();
    for (const p of [host, peer]) {
      await expectLive(p);
      await expect(p.getByTestId("phase-title")).toHaveText("Reality");
      await expect(p.getByTestId("clock-label")).toHaveText("left");
    }
    const [after] = await expectClocksAgree([host, peer]);
    const elapsed = Math.round((Date.now() - stoppedAt) / 1000);
    // The deadline came back from the store: the clock kept running through the outage.
    expect(Math.abs(before - elapsed - after)).toBeLessThanOrEqual(2);
    expect(await clockSeconds(host)).toBeGreaterThan(9 * 60);

    // The host can still drive the timer on the new relay.
    await host.getByRole("button", { name: /Pause/ }).click();
    await expect(peer.getByTestId("clock-label")).toHaveText("paused");
  } finally {
    await stopRelay(relay);
  }
});

test("after a relay restart, the notes show where the people present are, not those who left meanwhile", async ({ browser }) => {
  fs.rmSync(DATA, { recursive: true, force: true });
  allowConsoleErrors(/WebSocket connection to '.*' failed: .*ERR_CONNECTION_REFUSED/);
  let relay = await startRelay();
  try {
    const ana = await (await browser.newContext()).newPage();
    const { hostLink, participantLink } = await createOnRelay(ana);
    await join(ana, hostLink, "Ana");
    const ben = await (await browser.newContext()).newPage();
    await join(ben, participantLink, "Ben");
    const cat = await (await browser.newContext()).newPage();
    await join(cat, participantLink, "Cat");
    await ben.getByTestId("notes-goal-statement").click();
    await cat.getByTestId("notes-goal-success").click();
    const peersOf = (section: string) => ana.locator(`[data-section="${section}"]`).getByTestId("section-peers");
    await expect(peersOf("goal-statement")).toContainText("Ben");
    await expect(peersOf("goal-success")).toContainText("Cat");

    // The relay restarts (it keeps no presence); Cat closes her tab meanwhile.
    await stopRelay(relay);
    await expect(ana.getByTestId("connection")).toContainText("Reconnecting");
    await cat.close();
    relay = await startRelay();
    await expectLive(ana);
    // Ben's place comes back with his page's presence; Cat's, kept from before the restart, does not.
    await expect(peersOf("goal-statement")).toContainText("Ben");
    await expect(peersOf("goal-success")).not.toContainText("Cat");
  } finally {
    await stopRelay(relay);
  }
});
