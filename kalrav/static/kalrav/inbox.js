// The inbox's own behaviours: selecting rows for bulk actions (x, Shift+click, select all),
// e and a on the list, presence while typing a reply, and @mention suggestions in notes.
// app.js keeps the shortcuts every page shares (j/k, /, r, e on a conversation).
(() => {
  const rowBoxes = () => [...document.querySelectorAll("#inbox-rows [data-select]")];
  const rowLinks = () => [...document.querySelectorAll("#inbox-rows [data-row]")];
  const bulkForm = () => document.getElementById("bulk-form");
  let lastClicked = null;

  function refreshSelection() {
    const form = bulkForm();
    if (!form) return;
    const boxes = rowBoxes();
    const chosen = boxes.filter((box) => box.checked);
    boxes.forEach((box) => box.closest(".inbox-row").classList.toggle("selected", box.checked));
    form.classList.toggle("has-selection", chosen.length > 0);
    form.querySelectorAll("[data-needs-selection]").forEach((button) => { button.disabled = chosen.length === 0; });
    const all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && chosen.length === boxes.length;
      all.indeterminate = chosen.length > 0 && chosen.length < boxes.length;
    }
    const count = form.querySelector("[data-bulk-count]");
    if (count) {
      if (!count.dataset.empty) count.dataset.empty = count.textContent;
      count.textContent = chosen.length ? count.dataset.selected.replace("%(n)s", chosen.length) : count.dataset.empty;
    }
  }

  function focusedRow() {
    const active = document.activeElement;
    const row = active && active.closest ? active.closest(".inbox-row") : null;
    return row && row.closest("#inbox-rows") ? row : null;
  }

  // Shift+click selects the range between the last clicked box and this one.
  document.addEventListener("click", (event) => {
    const box = event.target.closest && event.target.closest("[data-select]");
    if (!box) return;
    const boxes = rowBoxes();
    if (event.shiftKey && lastClicked && boxes.includes(lastClicked)) {
      const [from, to] = [boxes.indexOf(lastClicked), boxes.indexOf(box)].sort((a, b) => a - b);
      boxes.slice(from, to + 1).forEach((other) => { other.checked = box.checked; });
    }
    lastClicked = box;
    refreshSelection();
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches("[data-select-all]")) {
      rowBoxes().forEach((box) => { box.checked = event.target.checked; });
      refreshSelection();
    } else if (event.target.matches && event.target.matches("[data-select]")) {
      refreshSelection();
    }
  });

  // The list refreshes every few seconds: keep what was selected and where the focus was.
  let kept = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target.id !== "inbox-rows") return;
    const row = focusedRow();
    kept = {
      ids: rowBoxes().filter((box) => box.checked).map((box) => box.value),
      focus: row ? row.querySelector("[data-row]").getAttribute("href") : null,
    };
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "inbox-rows" || !kept) return;
    rowBoxes().forEach((box) => { box.checked = kept.ids.includes(box.value); });
    if (kept.focus) {
      const link = rowLinks().find((a) => a.getAttribute("href") === kept.focus);
      if (link) link.focus({ preventScroll: true });
    }
    kept = null;
    refreshSelection();
  });

  // After a bulk action the page reloads: come back to the same list, near the same row.
  document.addEventListener("submit", (event) => {
    if (event.target.id !== "bulk-form") return;
    const next = event.target.querySelector("[data-next]");
    if (next) next.value = location.pathname + location.search;
    const row = focusedRow();
    const rows = [...document.querySelectorAll("#inbox-rows .inbox-row")];
    sessionStorage.setItem("kalrav-inbox-focus", String(row ? rows.indexOf(row) : 0));
  });
  window.addEventListener("load", () => {
    refreshSelection();
    const index = sessionStorage.getItem("kalrav-inbox-focus");
    sessionStorage.removeItem("kalrav-inbox-focus");
    const links = rowLinks();
    if (index !== null && links.length) links[Math.min(Number(index), links.length - 1)].focus();
  });

  function runBulk(name) {
    const form = bulkForm();
    const button = form && form.querySelector(`[data-bulk=${name}]`);
    if (!button) return false;
    if (!rowBoxes().some((box) => box.checked)) {
      const row = focusedRow();
      if (!row) return false;
      row.querySelector("[data-select]").checked = true;
      refreshSelection();
    }
    form.requestSubmit(button);
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const onBox = target.matches && target.matches("[data-select]");
    const typing = !onBox && target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (typing) return;
    const key = event.key;
    if (key === "?") {
      const panel = document.getElementById("inbox-shortcuts");
      const toggle = document.querySelector("[data-shortcuts-toggle]");
      if (panel) {
        panel.hidden = !panel.hidden;
        if (toggle) toggle.setAttribute("aria-expanded", String(!panel.hidden));
        event.preventDefault();
      }
      return;
    }
    if (onBox && (key === "j" || key === "k")) {
      // From a checkbox, move like app.js does from a row.
      const links = rowLinks();
      const here = links.indexOf(target.closest(".inbox-row").querySelector("[data-row]"));
      const next = key === "j" ? Math.min(here + 1, links.length - 1) : Math.max(here - 1, 0);
      links[next].focus();
      event.preventDefault();
    } else if (key === "x") {
      const row = focusedRow();
      const box = row && row.querySelector("[data-select]");
      if (box) {
        box.checked = !box.checked;
        lastClicked = box;
        refreshSelection();
        event.preventDefault();
      }
    } else if (key === "Escape" && rowBoxes().some((box) => box.checked)) {
      rowBoxes().forEach((box) => { box.checked = false; });
      refreshSelection();
    } else if (key === "e" && bulkForm()) {
      if (runBulk("resolve")) event.preventDefault();
    } else if (key === "a") {
      if (bulkForm()) {
        if (runBulk("mine")) event.preventDefault();
      } else {
        // On a conversation: assign it to me.
        const presence = document.getElementById("presence");
        const select = document.getElementById("assignee");
        if (presence && select && presence.dataset.me) {
          select.value = presence.dataset.me;
          select.form.requestSubmit();
          event.preventDefault();
        }
      }
    }
  });

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest && event.target.closest("[data-shortcuts-toggle]");
    if (!toggle) return;
    const panel = document.getElementById("inbox-shortcuts");
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", String(!panel.hidden));
  });

  // Presence: typing in the reply box says "… is replying" to the others at once.
  let typingTimer = null;
  document.addEventListener("input", (event) => {
    if (!event.target.closest || !event.target.closest("#reply-form") || event.target.tagName !== "TEXTAREA") return;
    const flag = document.querySelector("#presence-state [name=typing]");
    const presence = document.getElementById("presence");
    if (!flag || !presence) return;
    const started = flag.value !== "1";
    flag.value = "1";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { flag.value = ""; }, 6000);
    if (started && window.htmx) window.htmx.trigger(presence, "typing");
  });
  window.addEventListener("pagehide", () => {
    const presence = document.getElementById("presence");
    const token = document.querySelector("[name=csrfmiddlewaretoken]");
    if (!presence || !token || !navigator.sendBeacon) return;
    const data = new FormData();
    data.append("leave", "1");
    data.append("csrfmiddlewaretoken", token.value);
    navigator.sendBeacon(presence.getAttribute("hx-post"), data);
  });

  // @mentions: suggest members while a note is typed.
  let suggestTimer = null;
  function mentionQuery(textarea) {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = before.match(/(^|\s)@([\w.+-]*)$/u);
    return match ? match[2] : null;
  }
  function hideSuggestions(box) {
    box.hidden = true;
    box.innerHTML = "";
  }
  document.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest("form[data-mention-url]");
    if (!form || event.target.tagName !== "TEXTAREA") return;
    const box = form.querySelector(".mention-suggestions");
    const query = mentionQuery(event.target);
    clearTimeout(suggestTimer);
    if (query === null) { hideSuggestions(box); return; }
    suggestTimer = setTimeout(async () => {
      const response = await fetch(`${form.dataset.mentionUrl}?q=${encodeURIComponent(query)}`, { headers: { "HX-Request": "true" } });
      if (!response.ok) return;
      box.innerHTML = await response.text();
      box.hidden = false;
    }, 150);
  });
  document.addEventListener("click", (event) => {
    const choice = event.target.closest && event.target.closest(".mention-suggestions [data-handle]");
    if (!choice) return;
    const form = choice.closest("form");
    const textarea = form.querySelector("textarea");
    const caret = textarea.selectionStart;
    const before = textarea.value.slice(0, caret).replace(/@([\w.+-]*)$/u, `@${choice.dataset.handle} `);
    textarea.value = before + textarea.value.slice(caret);
    textarea.focus();
    textarea.setSelectionRange(before.length, before.length);
    hideSuggestions(form.querySelector(".mention-suggestions"));
  });
  document.addEventListener("keydown", (event) => {
    const form = event.target.closest && event.target.closest("form[data-mention-url]");
    if (!form) return;
    const box = form.querySelector(".mention-suggestions");
    if (box.hidden) return;
    const options = [...box.querySelectorAll("[data-handle]")];
    const here = options.indexOf(event.target);
    if (event.key === "ArrowDown" && options.length) {
      options[Math.min(here + 1, options.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && here >= 0) {
      if (here === 0) form.querySelector("textarea").focus();
      else options[here - 1].focus();
      event.preventDefault();
    } else if (event.key === "Escape") {
      hideSuggestions(box);
      form.querySelector("textarea").focus();
    }
  });
})();
