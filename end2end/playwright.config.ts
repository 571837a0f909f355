import { defineConfig, devices } from "@playwright/test";

// The server binary and the site are built by `make test` before Playwright starts.
const PORT = Number(process.env.TANDEM_E2E_PORT ?? 3100);
export const BASE_URL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's chromium; Playwright's own browser download is not reachable from here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    command:
      // One data folder per port, so that two runs on different ports (TANDEM_E2E_PORT) do not share a database.
      `rm -rf .data/${PORT} && mkdir -p .data/${PORT} && ../target/debug/server --addr 127.0.0.1:${PORT} ` +
      `--database-url sqlite://.data/${PORT}/e2e.db --site-root ../target/site`,
    url: `${BASE_URL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
