import { expect } from "@playwright/test";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import WebSocket from "ws";
import { createSession, join, test } from "./helpers";

function provider(link: string, doc: Y.Doc): WebsocketProvider {
  const url = new URL(link);
  const session = url.pathname.split("/")[2];
  return new WebsocketProvider(`ws://${url.host}/yjs`, session, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { t: url.searchParams.get("t") ?? "" },
    disableBc: true,
  });
}

async function synced(p: WebsocketProvider) {
  if (p.synced) return;
  await new Promise<void>((resolve) => p.once("sync", (ok: boolean) => ok && resolve()));
}

test("official Yjs clients (y-websocket) share a session's notes with the page, and the notes reach the summary", async ({ browser }) => {
  const host = await (await browser.newContext()).newPage();
  const links = await createSession(host, { goal: "Interop with Yjs" });
  const docA = new Y.Doc();
  const docB = new Y.Doc();
  const a = provider(links.participant, docA);
  const b = provider(links.host, docB);
  try {
    await Promise.all([synced(a), synced(b)]);
    docA.getText("goal-statement").insert(0, "Ben leads the next design review");
    await expect.poll(() => docB.getText("goal-statement").toString()).toBe("Ben leads the next design review");
    docB.getText("goal-success").insert(0, "He runs it without help");
    await expect.poll(() => docA.getText("goal-success").toString()).toBe("He runs it without help");

    // A late Yjs client catches up from the relay alone.
    const docC = new Y.Doc();
    const c = provider(links.observer, docC);
    await synced(c);
    expect(docC.getText("goal-statement").toString()).toBe("Ben leads the next design review");
    c.destroy();

    // The Leptos page and the Node client edit the same document, both ways.
    await join(host, links.host, "Ana", "coach");
    const pageGoal = host.getByTestId("notes-goal-statement");
    await expect(pageGoal).toHaveValue("Ben leads the next design review");
    // Nobody edits the notes unseen: each Yjs client shows among the people, as what its link allows.
    await expect(host.getByTestId("people").getByText("Notes app (Yjs, editing)")).toHaveCount(2);
    // A reading app is listed as an app, not badged as a person watching.
    const reader = provider(links.observer, new Y.Doc());
    await synced(reader);
    const readerRow = host.getByTestId("person").filter({ hasText: "Notes app (Yjs, reading)" });
    await expect(readerRow).toHaveAttribute("data-presence", "here");
    await expect(readerRow.locator(".badge")).toHaveCount(0);
    reader.destroy();
    docA.getText("goal-statement").insert(docA.getText("goal-statement").length, " in March");
    await expect(pageGoal).toHaveValue("Ben leads the next design review in March");
    await pageGoal.press("End");
    await pageGoal.pressSequentially(", with Ana");
    await expect.poll(() => docA.getText("goal-statement").toString()).toBe("Ben leads the next design review in March, with Ana");
    // The page shows where the Yjs client is (y-protocols awareness, `user` convention).
    a.awareness.setLocalState({ user: { name: "Node bot", color: "#123456" }, section: "goal-success" });
    await expect(host.locator('[data-section="goal-success"]').getByTestId("section-peers")).toContainText("Node bot");
    // ...and the Yjs client sees the page's presence.
    await host.getByTestId("notes-goal-success").click();
    await expect
      .poll(() => [...a.awareness.getStates().values()].some((s) => s.user?.name === "Ana" && s.section === "goal-success"))
      .toBe(true);
    await expect(host.getByTestId("notes-status")).toHaveAttribute("data-state", "saved");

    await host.getByRole("button", { name: "End session…" }).click();
    await host.getByRole("button", { name: "End session", exact: true }).click();
    await expect(host).toHaveURL(/\/summary\?t=/);
    const notes = host.getByTestId("summary-notes");
    await expect(notes).toContainText("Goal statement");
    await expect(notes).toContainText("Ben leads the next design review in March, with Ana");
    await expect(notes).toContainText("He runs it without help");
  } finally {
    a.destroy();
    b.destroy();
  }
});
