// Publishing: the composer's variants follow the master copy until edited, and the calendar's
// posts can be dragged to another day (htmx refreshes the calendar afterwards). No libraries.
(() => {
  const csrf = () => {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch { return ""; }
  };
  const toast = (text, error) => {
    let box = document.querySelector(".toasts");
    if (!box) { box = document.createElement("div"); box.className = "toasts"; document.body.append(box); }
    const item = document.createElement("div");
    item.className = "toast" + (error ? " error" : "");
    item.setAttribute("role", error ? "alert" : "status");
    item.textContent = text;
    box.append(item);
    setTimeout(() => item.remove(), 6000);
  };

  // --- composer ---
  const composer = document.getElementById("composer");
  if (composer) {
    const master = composer.querySelector("[name=text]");
    const recheck = (area) => area.dispatchEvent(new Event("recheck"));
    composer.addEventListener("change", (event) => {
      const box = event.target;
      if (box.matches("[data-channel-toggle]")) {
        const card = composer.querySelector(`[data-variant="${box.dataset.channelToggle}"]`);
        if (card) {
          card.hidden = !box.checked;
          if (box.checked) recheck(card.querySelector("textarea"));
        }
        const hint = composer.querySelector("[data-no-channel-hint]");
        if (hint) hint.hidden = composer.querySelector("[data-channel-toggle]:checked") !== null;
      }
      if (box.name === "media_ids") composer.querySelectorAll("[data-variant]:not([hidden]) textarea").forEach(recheck);
    });
    composer.querySelectorAll("[data-variant-text]").forEach((area) => {
      area.addEventListener("input", () => { area.dataset.edited = ""; });
    });
    if (master) {
      master.addEventListener("input", () => {
        composer.querySelectorAll("[data-variant-text]:not([data-edited])").forEach((area) => {
          area.value = master.value;
          if (!area.closest("[data-variant]").hidden) recheck(area);
        });
      });
    }
  }

  // --- calendar drag and drop ---
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const chip = event.target.closest && event.target.closest(".chip[data-move-url]");
    if (!chip) return;
    dragged = chip;
    chip.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", chip.dataset.moveUrl);
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".cal-day.drop").forEach((d) => d.classList.remove("drop"));
    dragged = null;
  });
  document.addEventListener("dragover", (event) => {
    const day = dragged && event.target.closest && event.target.closest(".cal-day[data-day]");
    if (!day) return;
    event.preventDefault();
    document.querySelectorAll(".cal-day.drop").forEach((d) => d !== day && d.classList.remove("drop"));
    day.classList.add("drop");
  });
  document.addEventListener("drop", async (event) => {
    const day = dragged && event.target.closest && event.target.closest(".cal-day[data-day]");
    if (!day) return;
    event.preventDefault();
    const url = dragged.dataset.moveUrl;
    day.classList.remove("drop");
    if (dragged.closest(".cal-day") === day) return;
    day.append(dragged);  // show it where it was dropped at once; the refresh below confirms
    const body = new URLSearchParams({ day: day.dataset.day });
    let answer = { message: "" };
    let ok = false;
    try {
      const response = await fetch(url, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
      });
      ok = response.ok;
      answer = await response.json();
    } catch {
      answer.message = document.querySelector("[data-move-failed]")?.dataset.moveFailed || "";
    }
    toast(answer.message, !ok);
    if (window.htmx) {
      htmx.ajax("GET", window.location.href, { target: "#calendar-body", select: "#calendar-body", swap: "outerHTML" });
    }
  });
})();
