// The workshop's skills page (served by the relay: server/src/workshop_skills.rs).
// 1. On the participants' link, "Pick your skills" posts this browser's key, which the workshop page keeps in
//    localStorage when the person joins (`tandem.workshop.{id}`); a browser that has not joined keeps the hint.
// 2. The group's picture is read again every 5 s and replaced when it changed, without reloading the page (a reload
//    would move a screen reader, and a timed refresh is an accessibility fault); never while focus is in it.
const open = document.getElementById("skills-open");
if (open) {
  try {
    const me = JSON.parse(localStorage.getItem(`tandem.workshop.${open.dataset.workshop}`) || "null");
    if (me && me.key) {
      open.elements.key.value = me.key;
      open.hidden = false;
      document.getElementById("skills-join").hidden = true;
      // This person left the lobby to come here: the facilitator still counts them as there.
      const visit = new URLSearchParams({ key: me.key, step: "visit" });
      fetch(open.action, { method: "POST", body: visit, keepalive: true }).catch(() => {});
    }
  } catch {
    // Storage disabled or unreadable: the hint stays.
  }
}
// Saving while offline would leave the page for the browser's error page and lose the picks: say so instead.
const form = document.querySelector("[data-testid=skills-form]");
if (form) {
  form.addEventListener("submit", (event) => {
    const note = document.querySelector("[data-testid=skills-error]");
    if (!navigator.onLine && note) {
      event.preventDefault();
      note.textContent = "You are offline. Your picks are still here: save again when the connection is back.";
    }
  });
}

const picture = document.querySelector("[data-testid=skills-picture]");
if (picture) {
  const url = `${location.pathname}${location.search}`;
  const timer = setInterval(async () => {
    const current = document.querySelector("[data-testid=skills-picture]");
    // Not while the tab is hidden, and not under someone's focus or selection (the chart's scroll box, the
    // Markdown being copied): the next round tries again.
    if (document.hidden || !current || current.contains(document.activeElement)) return;
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (response.status === 404) {
        clearInterval(timer);
        return;
      }
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const next = page.querySelector("[data-testid=skills-picture]");
      if (next && next.textContent !== current.textContent && !current.contains(document.activeElement)) {
        const chart = next.querySelector("img");
        // A new address, so that the browser draws the new chart instead of the one it has.
        if (chart) chart.src = `${chart.getAttribute("src")}&v=${Date.now()}`;
        current.replaceWith(document.importNode(next, true));
      }
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }, 5000);
}
