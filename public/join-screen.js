// The workshop's join screen (served by the relay: server/src/workshop_files.rs): keeps "N people have joined" up
// to date every 5 s by reading the same page again, without reloading it (a reload would move a screen reader, and a
// timed refresh is an accessibility fault). Once the workshop has ended, the screen shows so (no code to scan any
// more) and stops asking.
const count = document.querySelector("[data-testid=join-count]");
if (count) {
  const timer = setInterval(async () => {
    try {
      const response = await fetch(location.href, { cache: "no-store" });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const ended = page.querySelector("[data-testid=join-screen]");
      if (ended && !ended.querySelector("img") && document.querySelector("[data-testid=join-screen] img")) {
        document.querySelector("[data-testid=join-screen]").replaceWith(document.importNode(ended, true));
        clearInterval(timer);
        return;
      }
      const next = page.querySelector("[data-testid=join-count]");
      if (next && next.textContent !== count.textContent) count.textContent = next.textContent;
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }, 5000);
}
