// Listening pages: "select all on this page" for the mention bulk bar, and a confirmation
// before deleting. Rows are replaced by htmx when filters change, so both listen on document.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all) return;
  document.querySelectorAll("input[data-select]").forEach((box) => { box.checked = all.checked; });
});
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
