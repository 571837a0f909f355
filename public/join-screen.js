// The workshop's join screen (served by the relay: server/src/workshop_files.rs): keeps "N people have joined" up
// to date every 5 s by reading the same page again, without reloading it (a reload would move a screen reader, and a
// timed refresh is an accessibility fault).
const count = document.querySelector("[data-testid=join-count]");
if (count) {
  setInterval(async () => {
    try {
      const response = await fetch(location.href, { cache: "no-store" });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const next = page.querySelector("[data-testid=join-count]");
      if (next && next.textContent !== count.textContent) count.textContent = next.textContent;
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }, 5000);
}
