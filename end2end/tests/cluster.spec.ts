import { expect, Page } from "@playwright/test";
import { spawn, spawnSync, ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { join, expectLive, expectClocksAgree, hydrated, screenshots, test, allowConsoleErrors } from "./helpers";

// Two relays on one PostgreSQL database behind HAProxy (issue 20, deploy/haproxy.cfg): the pair flow through the
// load balancer, with the relay that runs the session killed (kill -9) in the middle. It needs the PostgreSQL cluster
// that `make test` starts (TANDEM_TEST_PG, .ci/with-postgres) and HAProxy (make setup-test).
const BASE_PORT = Number(process.env.TANDEM_E2E_PORT ?? 3100) + 10;
const RELAYS = [BASE_PORT + 1, BASE_PORT + 2];
const LB = `http://127.0.0.1:${BASE_PORT}`;
const ROOT = path.join(__dirname, "..", "..");
const LB_DIR = path.join(__dirname, "..", ".data", `lb-${BASE_PORT}`);
const GOAL = "notes-goal-statement";

function startRelay(port: number, database: string): ChildProcess {
  return spawn(
    path.join(ROOT, "target", "debug", "server"),
    [
      ...["--addr", `127.0.0.1:${port}`, "--database-url", database, "--site-root", "../target/site"],
      ...["--public-url", LB, "--client-ip-header", "X-Forwarded-For"],
    ],
    { cwd: path.join(__dirname, ".."), stdio: "ignore" },
  );
}

function haproxy(...args: string[]) {
  const done = spawnSync(path.join(ROOT, ".ci", "haproxy"), args, { stdio: "inherit" });
  expect(done.status, `.ci/haproxy ${args[0]}`).toBe(0);
}

/** The relay HAProxy sends this session's pages to: "relay1" or "relay2" (its X-Served-By header). */
async function servedBy(link: string): Promise<string> {
  const summary = link.replace(/\/s\/([^?]+)\?/, "/s/$1/summary?");
  return (await fetch(summary)).headers.get("x-served-by") ?? "";
}

async function expectSaved(page: Page) {
  await expect(page.getByTestId("notes-status")).toHaveAttribute("data-state", "saved");
}

test("through HAProxy with two relays, a pair goes on when the relay running their session is killed", async ({ browser }) => {
  const database = process.env.TANDEM_TEST_PG;
  test.skip(!database, "needs TANDEM_TEST_PG (make test starts a PostgreSQL cluster)");
  // While the killed relay is down, a page may try it before HAProxy marks it down: refused, and logged by chromium.
  allowConsoleErrors(/WebSocket connection to '.*' failed/);
  fs.rmSync(LB_DIR, { recursive: true, force: true });
  fs.mkdirSync(LB_DIR, { recursive: true });
  const relays = RELAYS.map((port) => startRelay(port, database!));
  haproxy("start", LB_DIR, `127.0.0.1:${BASE_PORT}`, ...RELAYS.map((p) => `127.0.0.1:${p}`));
  try {
    haproxy("wait-up", LB_DIR, "60");
    const ana = await (await browser.newContext()).newPage();
    const ben = await (await browser.newContext()).newPage();
    await ana.goto(`${LB}/`);
    await hydrated(ana);
    await ana.getByLabel("Session goal").fill("Lead the design review");
    await ana.getByRole("button", { name: "Create session" }).click();
    await expect(ana.getByRole("heading", { name: "Your session is ready" })).toBeVisible();
    await hydrated(ana);
    const host = await ana.getByTestId("host-link").inputValue();
    const participant = await ana.getByTestId("participant-link").inputValue();
    expect(host.startsWith(LB)).toBe(true);
    await join(ana, host, "Ana", "coach");
    await join(ben, participant, "Ben", "coachee");

    await ana.getByRole("button", { name: /Start/ }).click();
    await expect(ben.getByTestId("clock-label")).toHaveText("left");
    const phase = (await ben.getByTestId("phase-title").textContent()) ?? "";
    await ana.getByTestId(GOAL).pressSequentially("Before the failover. ", { delay: 10 });
    await expect(ben.getByTestId(GOAL)).toHaveValue("Before the failover. ");
    await expectSaved(ana);
    const [before] = await expectClocksAgree([ana, ben]);
    const killedAt = Date.now();

    // kill -9 the relay that runs the session.
    const owner = await servedBy(host);
    expect(["relay1", "relay2"]).toContain(owner);
    const victim = relays[owner === "relay1" ? 0 : 1];
    victim.kill("SIGKILL");
    // Ben types while his page reconnects: kept in the page, sent once it is back.
    await ben.getByTestId(GOAL).pressSequentially("During it. ", { delay: 10 });
    for (const p of [ana, ben]) {
      await expectLive(p);
      await expect(p.getByTestId("phase-title")).toHaveText(phase);
      await expect(p.getByTestId("clock-label")).toHaveText("left");
    }
    expect(await servedBy(host)).not.toBe(owner);
    const [after] = await expectClocksAgree([ana, ben]);
    // The deadline came back from the database: the clock ran on through the failover.
    const elapsed = Math.round((Date.now() - killedAt) / 1000);
    expect(Math.abs(before - elapsed - after)).toBeLessThanOrEqual(2);
    for (const p of [ana, ben]) {
      await expect(p.getByTestId(GOAL)).toHaveValue("Before the failover. During it. ");
    }
    await ana.getByTestId(GOAL).press("End");
    await ana.getByTestId(GOAL).pressSequentially("After it.", { delay: 10 });
    await expect(ben.getByTestId(GOAL)).toHaveValue("Before the failover. During it. After it.");
    await expectSaved(ana);
    await expectSaved(ben);
    await screenshots(ben, "cluster-after-failover");

    // The surviving relay runs the clock: the host pauses it.
    await ana.getByRole("button", { name: /Pause/ }).click();
    await expect(ben.getByTestId("clock-label")).toHaveText("paused");
    // A reload comes back to the same session, through HAProxy, with everything.
    await ben.reload();
    await hydrated(ben);
    await expectLive(ben);
    await expect(ben.getByTestId(GOAL)).toHaveValue("Before the failover. During it. After it.");
  } finally {
    for (const r of relays) r.kill("SIGKILL");
    haproxy("stop", LB_DIR);
  }
});
