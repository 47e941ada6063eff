// Composer extras: add and remove the posts of a thread, and re-run a variant's live check when
// any of its extras (thread, poll, first comment, the options its network declares) changes; the
// check itself is the variant's.
(() => {
  const composer = document.getElementById("composer");
  if (!composer) return;
  const mainText = (box) => {
    const card = box.closest("[data-variant]");
    return card && card.querySelector("[data-variant-text]");
  };
  const recheck = (box) => {
    const area = mainText(box);
    if (area) area.dispatchEvent(new Event("recheck"));
  };
  const renumber = (thread) => {
    const pattern = thread.querySelector("[data-add-part]").dataset.labelPattern || "{n}";
    const key = thread.closest("[data-extras]").dataset.extras;
    thread.querySelectorAll("[data-thread-part]").forEach((part, index) => {
      const id = `thread-${key}-${index + 1}`;
      part.querySelector("textarea").id = id;
      const label = part.querySelector("[data-part-label]");
      label.htmlFor = id;
      label.textContent = pattern.replace("{n}", String(index + 2));
    });
  };
  composer.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-part]");
    const remove = event.target.closest("[data-remove-part]");
    if (add) {
      const thread = add.closest("[data-thread]");
      const copy = thread.querySelector("[data-part-template]").content.firstElementChild.cloneNode(true);
      thread.querySelector("[data-thread-parts]").append(copy);
      renumber(thread);
      copy.querySelector("textarea").focus();
      recheck(thread);
    } else if (remove) {
      const thread = remove.closest("[data-thread]");
      remove.closest("[data-thread-part]").remove();
      renumber(thread);
      recheck(thread);
    }
  });
  const changed = (event) => {
    if (event.target.closest && event.target.closest("[data-extras]")) recheck(event.target);
  };
  composer.addEventListener("input", changed);
  composer.addEventListener("change", changed);
})();
