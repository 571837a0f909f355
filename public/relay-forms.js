// The forms of the workshop pages the relay draws (server/src/workshop_skills.rs, server/src/workshop_closing.rs).
// 1. A `form[data-workshop]` acts for the participant who joined in this browser: it gets their key, which the
//    workshop page keeps in localStorage when they join (`tandem.workshop.{id}`), and shows; a browser that has not
//    joined keeps the `[data-join-hint]` instead. With `data-ask`, the page first tells the relay the page is open
//    (the form's action, `step=` that value): an answer with a body (200, not 204) means it is done already: the
//    form stays hidden and the element `data-done` names shows. With `data-open`, the form is sent as soon as it
//    shows (the skills page opens the participant's form at once).
// 2. A form with `data-offline` is not sent while offline (the browser's error page would lose what was typed): the
//    element it names says so instead. A form with `data-swap` is sent by the script, and its answer's part of that
//    name replaces this page's (no POST result to go Back to).
// 3. The page's live parts (`data-live`: the skills picture) are read again every 5 s and replaced when they changed,
//    without reloading the page (a reload would move a screen reader, and a timed refresh is an accessibility
//    fault); never while focus is in one.
// 4. Framed in the workshop page, the frame is as high as what it shows.
// 5. `data-copy` buttons copy a field's text.
// 6. A `form[data-person]` ("Your history", /me) is sent at once with the browser's personal key (`tandem.person`)
//    in the body; the session page's part (`data-session`) draws that key the first time and names the participant. A page opened as `/me#k=KEY` keeps that key first (the previous one is
//    sent as `also`, and its history merged) and takes the key out of the address. Without a key: the empty state.
// 7. `time[data-local]` shows its UTC time in the reader's own time zone.
// 8. `[data-print]` buttons print the page (the workshop's record).
// 9. The workshop's join screen keeps "N people have joined" up to date every 5 s by reading the same page again,
//    without reloading it (a reload would move a screen reader, and a timed refresh is an accessibility fault). Once
//    the workshop has ended, the screen shows so (no code to scan any more) and stops asking.
for (const form of document.querySelectorAll("form[data-workshop]")) {
  let me = null;
  try {
    me = JSON.parse(localStorage.getItem(`tandem.workshop.${form.dataset.workshop}`) || "null");
  } catch {
    // Storage disabled or unreadable: the hint stays.
  }
  if (!me || !me.key) continue;
  form.elements.key.value = me.key;
  // `data-open`: opened at once (the lobby's "Pick your skills" leads here to pick them).
  const show = () => {
    for (const hint of document.querySelectorAll("[data-join-hint]")) hint.hidden = true;
    form.hidden = false;
    if (form.dataset.open !== undefined) form.requestSubmit();
  };
  if (!form.dataset.ask) {
    show();
    continue;
  }
  const ask = new URLSearchParams({ key: me.key, step: form.dataset.ask });
  fetch(form.action, { method: "POST", body: ask, keepalive: true })
    .then((response) => {
      // 404: this key is not one of the workshop's participants (removed, or the facilitator's browser on the
      // participants' link): the hint stays, and no form that would only be refused.
      if (response.status === 404) return;
      const done = response.status === 200 && document.getElementById(form.dataset.done || "");
      if (!done) return show();
      for (const hint of document.querySelectorAll("[data-join-hint]")) hint.hidden = true;
      done.hidden = false;
    })
    .catch(show);
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (form.dataset.offline && !navigator.onLine) {
    event.preventDefault();
    const note = document.getElementById(form.dataset.offline);
    if (note) {
      note.textContent =
        form.dataset.offlineText || "You are offline. What you entered is still here: send it again when the connection is back.";
    }
    return;
  }
  // `data-swap`: the script sends the form. Its answer's part of that name replaces this page's part, or, where the
  // answer is another page (a save, answered 303), the browser goes there: no POST result is left in the history for
  // Back to offer to send again.
  const part = form.dataset.swap && document.querySelector(`[data-testid="${form.dataset.swap}"]`);
  if (!part) return;
  event.preventDefault();
  const buttons = form.querySelectorAll("button[type=submit]");
  for (const button of buttons) button.disabled = true;
  let response;
  try {
    response = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)) });
  } catch {
    // The connection failed on the way: what was entered stays, and the page says so.
    const note = document.getElementById(form.dataset.offline || "");
    if (note) note.textContent = form.dataset.failed || "Tandem could not be reached. What you entered is still here: send it again.";
    for (const button of buttons) button.disabled = false;
    return;
  }
  if (response.redirected) {
    // Saved: the page it leads to (the buttons stay off while the browser goes there).
    location.assign(response.url);
    return;
  }
  // A personal key the relay does not know (forgotten on another device): this browser stops keeping it.
  if (response.status === 404 && form.dataset.person !== undefined && form.dataset.session === undefined) {
    try {
      localStorage.removeItem("tandem.person");
    } catch {
      // Storage disabled: there was no key kept.
    }
  }
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  // The answer's part of that name, or else the whole of its page's main part (a refusal page: "Link not valid").
  const next = page.querySelector(`[data-testid="${form.dataset.swap}"]`);
  const target = next ? part : document.querySelector("main");
  const shown = next || page.querySelector("main");
  if (!target || !shown) {
    for (const button of buttons) button.disabled = false;
    return;
  }
  const placed = document.importNode(shown, true);
  target.replaceWith(placed);
  // A form that stays (the search above its results) can be sent again.
  for (const button of buttons) button.disabled = false;
  // "Forget me" done: this browser forgets too. The personal key, and which participant it was in each session and
  // workshop (reopening one then joins as someone new, and brings nothing back into a history), with the private
  // and feedback drafts kept here. Shared notes not yet sent stay (`tandem.notes.*`: others wrote them too), and so
  // do the links of the sessions this browser created (`tandem.recent`).
  if (placed.querySelector("[data-forget-key]")) {
    try {
      const mine = /^tandem\.(person$|identity\.|workshop\.|private\.|draft\.)/;
      for (const name of Object.keys(localStorage)) if (mine.test(name)) localStorage.removeItem(name);
    } catch {
      // Storage disabled: there was nothing kept.
    }
  }
  // A form the script sent by itself (a page's part loading) leaves the focus where the person is (typing in the
  // notes, perhaps). Otherwise: the first field refused (its message is read with it), else the message, else what
  // the answer names (`data-focus`: Undo after a tick), else the heading.
  if (!event.submitter) return;
  const message = placed.querySelector(".field__error:not(:empty), [role=alert]:not(:empty)");
  const field = message && message.closest("fieldset, label, form")?.querySelector("input:not([type=hidden]), textarea, select");
  const focus = field || message || placed.querySelector("[data-focus]") || placed.querySelector("h1, h2, h3");
  if (focus) {
    if (!focus.matches("a[href], button, input, select, textarea")) focus.tabIndex = -1;
    focus.focus();
  }
});

// A choice made clears the message about it (the closing question's rating).
document.addEventListener("change", (event) => {
  const message = event.target.closest && event.target.closest("fieldset")?.querySelector(".field__error");
  if (message) message.textContent = "";
});

// `data-copy`: a button that copies the text of the field it names (where the browser cannot, on a plain-HTTP
// address other than localhost, it selects the text and says how).
document.addEventListener("click", async (event) => {
  const button = event.target.closest && event.target.closest("[data-copy]");
  const field = button && document.getElementById(button.dataset.copy);
  if (!field) return;
  const status = button.parentElement.querySelector("[role=status]");
  try {
    await navigator.clipboard.writeText(field.value);
    if (status) status.textContent = "Copied.";
  } catch {
    field.select();
    if (status) status.textContent = "Select the text and copy it (Ctrl+C or ⌘C).";
  }
});

// Framed in the workshop page (`?embed=true`, same origin): the frame takes the height of what it shows, so that
// nothing scrolls inside it (relay.css hides the frame's own scroll bars, whose width would change that height).
const frame = window.frameElement;
if (frame) {
  new ResizeObserver(() => {
    frame.style.height = `${Math.ceil(document.body.getBoundingClientRect().height)}px`;
  }).observe(document.body);
}

// Each `[data-live]` part is replaced by the same part of the page read again, when its text changed.
if (document.querySelector("[data-live]")) {
  const url = `${location.pathname}${location.search}`;
  // Faster where a person waits for it (the facilitator's frame, for the reasons after "Propose groups").
  const every = Number(document.querySelector("[data-every]")?.dataset.every) || 5000;
  const timer = setInterval(async () => {
    // Not while the tab is hidden: the next round tries again.
    if (document.hidden) return;
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (response.status === 404) {
        clearInterval(timer);
        return;
      }
      if (!response.ok) return;
      // A personal key the relay does not know (forgotten on another device): this browser stops keeping it.
  if (response.status === 404 && form.dataset.person !== undefined && form.dataset.session === undefined) {
    try {
      localStorage.removeItem("tandem.person");
    } catch {
      // Storage disabled: there was no key kept.
    }
  }
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const current of document.querySelectorAll("[data-live]")) {
        const next = page.querySelector(`[data-live="${current.dataset.live}"]`);
        // Never under someone's focus or selection (the chart's scroll box, the Markdown being copied).
        if (!next || next.textContent === current.textContent || current.contains(document.activeElement)) continue;
        // A new address, so that the browser draws the new chart instead of the one it has.
        for (const chart of next.querySelectorAll("img")) chart.src = `${chart.getAttribute("src")}&v=${Date.now()}`;
        current.replaceWith(document.importNode(next, true));
      }
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }, every);
}

// Times the relay wrote in UTC, in the reader's time zone ("7 Dec 2026, 15:05").
const localTimes = (root) => {
  for (const time of root.querySelectorAll("time[data-local]")) {
    const at = new Date(time.dateTime);
    // Done once: the attribute goes, so that this change is not seen as a new time to show.
    time.removeAttribute("data-local");
    if (!Number.isNaN(at.getTime())) {
      time.textContent = at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    }
  }
};
localTimes(document);
new MutationObserver(() => localTimes(document)).observe(document.body, { childList: true, subtree: true });

// Last, once the submit handler above is in place (a form sent before it would be sent as a plain POST).
// `data-every` on such a form: its part is asked for again at that interval, for five minutes while it shows nothing
// (the follow-up: someone met before may join after you), or for three hours with `data-keep` (kudos: new ones
// arrive); replaced only when it changed, never while the tab is hidden or someone is in one of its fields. What was
// typed or chosen in its fields, and an open part, are carried over into the new one.
function askAgain(form) {
  const body = new URLSearchParams(new FormData(form));
  const name = form.dataset.swap;
  const keep = form.dataset.keep !== undefined;
  let left = Math.ceil((keep ? 10800000 : 300000) / Number(form.dataset.every));
  let last = null;
  const timer = setInterval(async () => {
    const part = document.querySelector(`[data-testid="${name}"]`);
    if (left-- <= 0 || !part || (!keep && part.textContent.trim() !== "")) {
      clearInterval(timer);
      return;
    }
    const active = document.activeElement;
    const inField = part.contains(active) && active.matches("input, textarea, select");
    if (document.hidden || inField) return;
    try {
      const response = await fetch(form.action, { method: "POST", body });
      if (!response.ok) return;
      const next = new DOMParser().parseFromString(await response.text(), "text/html").querySelector(`[data-testid="${name}"]`);
      if (!next || next.textContent === last) return;
      last = next.textContent;
      if (next.textContent.trim() === "" && part.textContent.trim() === "") return;
      // A part opened to give kudos stays open, with what was typed or chosen in it; focus on the part stays on it.
      if (part.querySelector("details[open]")) for (const details of next.querySelectorAll("details")) details.open = true;
      const placed = document.importNode(next, true);
      for (const field of part.querySelectorAll("textarea[name], select[name]")) {
        const same = placed.querySelector(`${field.localName}[name="${field.name}"]`);
        if (same) same.value = field.value;
      }
      const hadFocus = part.contains(active);
      part.replaceWith(placed);
      const heading = hadFocus && placed.querySelector("h2");
      if (heading) {
        heading.tabIndex = -1;
        heading.focus();
      }
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }, Number(form.dataset.every));
}

// A new personal key: 128 random bits, base64url, kept.
function drawKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const key = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  localStorage.setItem("tandem.person", key);
  return key;
}

for (const form of document.querySelectorAll("form[data-person]")) {
  let key = null;
  try {
    key = localStorage.getItem("tandem.person");
    // `data-member`: a workshop's page. The workshop, as the member this browser joined it as, goes into the
    // browser's history (its personal key drawn the first time); nothing is sent from a browser that did not join.
    if (form.dataset.member !== undefined) {
      const me = JSON.parse(localStorage.getItem(`tandem.workshop.${form.dataset.member}`) || "null");
      if (!me || !me.key) continue;
      form.elements.w.value = me.key;
      if (!key) key = drawKey();
      form.elements.k.value = key;
      fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), keepalive: true }).catch(
        () => {},
      );
      continue;
    }
    // `data-session`: the session page's part. Its first join draws the browser's personal key (128 random bits),
    // and the form says which participant of the session this browser is.
    // Without that participant key (a summary opened from /me on another device), the personal key alone names
    // the reader.
    if (form.dataset.session !== undefined) {
      const me = JSON.parse(localStorage.getItem(`tandem.identity.${form.dataset.session}`) || "null");
      if (me && me.key) {
        form.elements.p.value = me.key;
        if (!key) key = drawKey();
      } else if (!key) {
        continue;
      }
    }
    const given = new URLSearchParams(location.hash.slice(1)).get("k");
    if (given) history.replaceState(null, "", location.pathname);
    if (given && /^[A-Za-z0-9_-]{16,64}$/.test(given) && given !== key) {
      if (key && form.elements.also) form.elements.also.value = key;
      key = given;
      localStorage.setItem("tandem.person", key);
    }
  } catch {
    // Storage disabled: a key given in the address still shows its history, once.
  }
  if (key) {
    form.elements.k.value = key;
    form.requestSubmit();
    if (form.dataset.every) askAgain(form);
  } else {
    // No key: nothing to ask the relay (it would answer the same empty state).
    for (const loading of document.querySelectorAll("[data-testid=me-loading]")) loading.hidden = true;
    for (const empty of document.querySelectorAll("[data-empty]")) empty.hidden = false;
  }
}

document.addEventListener("click", (e) => {
  if (e.target.closest("[data-print]")) window.print();
});

const joinCount = document.querySelector("[data-testid=join-count]");
if (joinCount) {
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
      if (next && next.textContent !== joinCount.textContent) joinCount.textContent = next.textContent;
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }, 5000);
}
