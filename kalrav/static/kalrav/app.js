// Small behaviours shared by every page; htmx does the partial updates.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) target.form.requestSubmit();
});
// Ctrl+Enter (or Cmd+Enter) submits the form being typed in.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
    event.preventDefault();
    event.target.form.requestSubmit();
  }
});
// Toasts leave on their own after a while.
window.addEventListener("load", () => {
  document.querySelectorAll(".toast").forEach((toast) => setTimeout(() => toast.remove(), 6000));
});
// Inbox keyboard: j/k move between conversations, Enter opens, / searches, e resolves.
document.addEventListener("keydown", (event) => {
  const typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const rows = [...document.querySelectorAll("[data-row]")];
  if (event.key === "/") {
    const search = document.querySelector("input[type=search]");
    if (search) { event.preventDefault(); search.focus(); }
  } else if ((event.key === "j" || event.key === "k") && rows.length) {
    const index = rows.indexOf(document.activeElement);
    const next = event.key === "j" ? Math.min(index + 1, rows.length - 1) : Math.max(index - 1, 0);
    rows[next].focus();
  } else if (event.key === "e") {
    const resolve = document.querySelector("[data-key=e]");
    if (resolve) resolve.click();
  } else if (event.key === "r") {
    const reply = document.querySelector("#reply-form textarea");
    if (reply) { event.preventDefault(); reply.focus(); }
  }
});
// A write the server could not keep (its disk is full) answers 507 with a message to show; htmx
// swaps no error response, so it becomes a toast here.
document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status !== 507) return;
  let box = document.querySelector(".toasts");
  if (!box) {
    box = document.createElement("div");
    box.className = "toasts";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  const toast = document.createElement("div");
  toast.className = "toast error";
  toast.textContent = new DOMParser().parseFromString(xhr.responseText, "text/html").body.textContent.trim();
  box.append(toast);
  setTimeout(() => toast.remove(), 10000);
});
// Business hours: a week of pickers above the text form ("mon 09:00-18:00"), kept in step with
// it both ways. A day with several openings keeps them; its pickers then only show the first.
document.querySelectorAll("textarea[data-week-hours]").forEach((area) => {
  const spec = JSON.parse(area.dataset.weekHours);
  const parse = (text) => {
    const hours = {};
    for (const line of text.split("\n")) {
      const [day, ...rest] = line.trim().split(/\s+/);
      const key = (day || "").slice(0, 3).toLowerCase();
      if (!spec.days.includes(key) || !rest.length) continue;
      hours[key] = rest.join(" ").split(",").map((w) => w.trim().split("-").map((t) => t.trim()));
    }
    return hours;
  };
  const grid = document.createElement("fieldset");
  grid.className = "week-hours";
  const legend = document.createElement("legend");
  legend.textContent = spec.labels.legend;
  grid.append(legend);
  const rows = spec.days.map((day, index) => {
    const row = document.createElement("div");
    row.className = "week-hours-day";
    const open = Object.assign(document.createElement("input"), { type: "checkbox", id: `${area.id}-${day}` });
    const name = Object.assign(document.createElement("label"), { htmlFor: open.id, textContent: spec.names[index] });
    const opens = Object.assign(document.createElement("input"), { type: "time", value: "09:00" });
    const closes = Object.assign(document.createElement("input"), { type: "time", value: "18:00" });
    opens.setAttribute("aria-label", `${spec.names[index]}: ${spec.labels.opens}`);
    closes.setAttribute("aria-label", `${spec.names[index]}: ${spec.labels.closes}`);
    const more = Object.assign(document.createElement("span"), { className: "muted", hidden: true, textContent: spec.labels.more });
    row.append(open, name, opens, "–", closes, more);
    grid.append(row);
    return { day, open, opens, closes, more, extra: [] };
  });
  const show = () => {
    const hours = parse(area.value);
    for (const row of rows) {
      const windows = hours[row.day] || [];
      row.open.checked = windows.length > 0;
      if (windows.length) [row.opens.value, row.closes.value] = windows[0];
      row.extra = windows.slice(1);
      row.more.hidden = row.extra.length === 0;
      row.opens.disabled = row.closes.disabled = !row.open.checked;
    }
  };
  const write = () => {
    area.value = rows
      .filter((row) => row.open.checked && row.opens.value && row.closes.value)
      .map((row) => `${row.day} ${[[row.opens.value, row.closes.value], ...row.extra].map((w) => w.join("-")).join(", ")}`)
      .join("\n");
    rows.forEach((row) => { row.opens.disabled = row.closes.disabled = !row.open.checked; });
  };
  grid.addEventListener("input", write);
  grid.addEventListener("change", write);
  area.addEventListener("input", show);
  area.before(grid);
  show();
});
