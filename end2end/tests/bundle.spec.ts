import { expect, Page } from "@playwright/test";
import * as fs from "fs";
import * as path from "path";
import { createSession, join, hydrated, screenshots, test, allowConsoleErrors, allowPageErrors, expectAccessible, expectLive } from "./helpers";

/** The wasm files a page fetches, by name, from the moment this is called. */
function wasmFetched(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/pkg/") && url.pathname.endsWith(".wasm")) {
      seen.push(url.pathname.replace("/pkg/", ""));
    }
  });
  return seen;
}

/** The server-function calls a page makes, by path, from the moment this is called. */
function apiCalls(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/")) seen.push(url.pathname);
  });
  return seen;
}

// The create, ready and summary pages are split out (`#[lazy]` fns, cargo leptos --split): the session page, the one
// people spend their time on, downloads only the main bundle, and each other page adds only its own code
// (docs/performance.md).
// The session page opens with the data the relay put in its HTML and calls no server function.
test("each page downloads only its own code: the session page none of the create or summary pages'", async ({ browser }) => {
  const creator = await browser.newPage();
  const createWasm = wasmFetched(creator);
  const links = await createSession(creator);
  expect(createWasm).toContain("tandem.wasm");
  expect(createWasm.some((f) => f.includes("create_page"))).toBe(true);
  expect(createWasm.some((f) => f.includes("summary_page"))).toBe(false);
  // createSession ends on the new session's ready page, a page (and a wasm file) of its own.
  expect(createWasm.some((f) => f.includes("ready_page"))).toBe(true);

  // A fresh browser opening the session link: the main bundle, and the join form's own file (fetched because this
  // browser has not joined yet: a returning participant, or a reload, fetches the main bundle only), before and after
  // joining.
  const peer = await (await browser.newContext()).newPage();
  const sessionWasm = wasmFetched(peer);
  const sessionApi = apiCalls(peer);
  await join(peer, links.participant, "Ben");
  await peer.getByTestId("notes-goal-statement").click();
  await peer.keyboard.type("Lead a review");
  await expect(peer.getByTestId("notes-status")).toHaveAttribute("data-state", "saved");
  const manifest = JSON.parse(
    fs.readFileSync(path.join(__dirname, "..", "..", "target", "site", "pkg", "__wasm_split_manifest.json"), "utf8"),
  );
  expect(sessionWasm[0]).toBe("tandem.wasm");
  expect(sessionWasm.slice(1).sort()).toEqual(manifest.join_card.map((f: string) => `${f}.wasm`).sort());
  // A reload, now that this browser has joined: the main bundle only.
  sessionWasm.length = 0;
  await peer.reload();
  await expectLive(peer);
  expect(sessionWasm).toEqual(["tandem.wasm"]);
  // What the link opens comes inside the page: no server function, so none of their code in the main bundle.
  expect(sessionApi).toEqual([]);

  // The summary page adds its own chunk, and not the create page's.
  const reader = await (await browser.newContext()).newPage();
  const summaryWasm = wasmFetched(reader);
  const { origin, pathname, searchParams } = new URL(links.host);
  await reader.goto(`${origin}${pathname}/summary?t=${searchParams.get("t")}`);
  await hydrated(reader);
  await expect(reader.getByRole("heading", { name: "This session is still running" })).toBeVisible();
  expect(summaryWasm.some((f) => f.includes("summary_page"))).toBe(true);
  expect(summaryWasm.some((f) => f.includes("create_page"))).toBe(false);
});

// The session page's feedback form is a wasm file of its own (`wasm_split` feedback_panel, fallible): fetched the first
// time a phase with a form shows, once per page; "Loading the feedback form…" until it is there, "Try again" if it
// could not be fetched.
test("the session page fetches its feedback form's code when a form phase first shows, and only then", async ({ browser }) => {
  const host = await (await browser.newContext()).newPage();
  const links = await createSession(host, { template: "teach-back" });
  const fetched = wasmFetched(host);
  await join(host, links.host, "Ana", "learner");
  await expect(host.getByTestId("phase-position")).toHaveText("Phase 1 of 5");
  expect(fetched.some((f) => f.includes("feedback_panel"))).toBe(false);

  // The last phase, "Feedback", is the only one with a form (the learner's, about the teacher, who has not joined).
  // The first fetch of its code fails (a network blip): the session keeps working and offers to try again.
  allowConsoleErrors(/Failed to load resource|net::ERR_FAILED|Failed to fetch|feedback_panel/);
  // wasm_split's loader starts the file's fetch before it awaits the shared chunks, so a failed fetch can be reported
  // as an unhandled rejection for a moment before the loader handles it (and the part offers "Try again").
  allowPageErrors(/^Failed to fetch$/);
  let blocked = true;
  await host.route(/feedback_panel.*\.wasm/, (route) => (blocked ? route.abort("failed") : route.continue()));
  await host.getByRole("button", { name: /^Feedback/ }).click();
  await host.getByRole("button", { name: "Go to this phase" }).click();
  await expect(host.getByTestId("phase-title")).toHaveText("Feedback");
  await expect(host.getByTestId("feedback-failed")).toContainText("could not be loaded");
  await expect(host.getByTestId("connection")).toContainText("Live");
  // Only the part says so: the page-wide "This page stopped working" is for code the page cannot run without.
  await expect(host.locator("#load-failed")).toHaveCount(0);
  await expectAccessible(host);
  blocked = false;
  await host.getByRole("button", { name: "Try again" }).click();
  await expect(host.locator("#feedback-title")).toBeVisible();
  await expect(host.getByTestId("feedback-loading")).toHaveCount(0);
  await expect(host.getByTestId("feedback-failed")).toHaveCount(0);
  await expect(host.locator("#load-failed")).toHaveCount(0);
  expect(fetched.filter((f) => f.includes("feedback_panel"))).toHaveLength(2);

  // Opened in a form phase: the loading card, then the form once its code is there.
  const reloaded = wasmFetched(host);
  const seenLoading = host.waitForResponse((r) => r.url().includes("feedback_panel"));
  await host.reload();
  await seenLoading;
  await expect(host.locator("#feedback-title")).toBeVisible();
  await expect(host.getByTestId("feedback-loading")).toHaveCount(0);
  expect(reloaded.filter((f) => f.includes("feedback_panel"))).toHaveLength(1);
  await host.context().close();
});

// The code comes compressed: the release build writes FILE.gz and FILE.br next to each file (.ci/precompress) and the
// server sends the one the browser accepts, so people download what `.ci/size-report` measures, not the raw wasm.
test("the page and its code are sent compressed, the code as the files the size report measures", async ({ page }) => {
  const pkg = path.join(__dirname, "..", "..", "target", "site", "pkg");
  const seen = new Map<string, { encoding: string; type: string; vary: string; body: number }>();
  page.on("requestfinished", async (request) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith("/pkg/")) return;
    const response = await request.response();
    if (!response) return;
    const headers = await response.allHeaders();
    const sizes = await request.sizes();
    seen.set(url.pathname.replace("/pkg/", ""), {
      encoding: headers["content-encoding"] ?? "none",
      type: headers["content-type"] ?? "",
      vary: headers["vary"] ?? "",
      body: sizes.responseBodySize,
    });
  });
  const document = await page.goto("/");
  // The page itself is compressed as it is sent.
  expect(["gzip", "br"]).toContain((await document!.allHeaders())["content-encoding"]);
  await hydrated(page);
  await expect.poll(() => ["tandem.wasm", "tandem.js", "tandem.css"].every((f) => seen.has(f))).toBe(true);
  for (const file of ["tandem.wasm", "tandem.js", "tandem.css"]) {
    const got = seen.get(file)!;
    expect(["gzip", "br"], `${file} content-encoding`).toContain(got.encoding);
    const ext = got.encoding === "gzip" ? "gz" : "br";
    // The encoding depends on the request's Accept-Encoding: caches must know.
    expect(got.vary.toLowerCase(), `${file} vary`).toContain("accept-encoding");
    expect(got.body, `${file} bytes on the wire`).toBe(fs.statSync(path.join(pkg, `${file}.${ext}`)).size);
  }
  // Still served as wasm, so the browser compiles it while it streams in.
  expect(seen.get("tandem.wasm")!.type).toBe("application/wasm");
  expect(seen.get("tandem.wasm")!.body).toBeLessThan(fs.statSync(path.join(pkg, "tandem.wasm")).size / 2);
});

// A page whose own code does not arrive (a dropped connection, a deploy in between) would look ready and do nothing;
// the shell notices and offers a reload, which works once the code can be fetched again.
test("when a page's code does not load, the page says so and a reload recovers", async ({ page }) => {
  const chunk = /split_create_page_\d+\.wasm/;
  // The blocked file is this test's doing: the failed fetch and the rejected import it causes are expected.
  // The loader logs the failed fetch, and the page's code then stops (a wasm trap): both are what this test provokes.
  allowConsoleErrors(/ERR_CONNECTION_RESET|Failed to load resource|Failed to fetch/);
  // Depending on timing the failed fetch surfaces as a rejected promise (page error) or a log line (console error).
  allowPageErrors(/^unreachable$|^Failed to fetch$/);
  await page.route(chunk, (route) => route.abort("connectionreset"));
  await page.goto("/");
  const notice = page.getByRole("alert").filter({ hasText: "This page stopped working" });
  await expect(notice).toBeVisible();
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(0);
  await screenshots(page, "load-failed");
  await page.unroute(chunk);
  await notice.getByRole("button", { name: "Reload" }).click();
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Start a peer-coaching session" })).toBeVisible();
});
