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
