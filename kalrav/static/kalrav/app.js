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
