// Publishing: the composer's variants follow the master copy until edited, and the calendar's
// posts can be dragged to another day (htmx refreshes the calendar afterwards). No libraries.
(() => {
  const csrf = () => {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch { return ""; }
  };
  // A toast may carry one action (the move's "Undo"); it then stays long enough to be used.
  const toast = (text, error, action) => {
    let box = document.querySelector(".toasts");
    if (!box) { box = document.createElement("div"); box.className = "toasts"; document.body.append(box); }
    const item = document.createElement("div");
    item.className = "toast" + (error ? " error" : "");
    item.setAttribute("role", error ? "alert" : "status");
    const words = document.createElement("span");
    words.textContent = text;
    item.append(words);
    if (action) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn small secondary toast-action";
      button.textContent = action.label;
      button.addEventListener("click", () => { item.remove(); action.run(); }, { once: true });
      item.append(" ", button);
    }
    box.append(item);
    setTimeout(() => item.remove(), action ? 15000 : 6000);
  };
  const post = async (url, fields) => {
    let answer = { message: document.querySelector("[data-move-failed]")?.dataset.moveFailed || "" };
    let ok = false;
    try {
      const response = await fetch(url, {
        method: "POST", body: new URLSearchParams(fields), credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
      });
      ok = response.ok;
      answer = await response.json();
    } catch { /* the message above says the move failed */ }
    return { ok, answer };
  };
  const refreshCalendar = () => {
    if (window.htmx) {
      htmx.ajax("GET", window.location.href, { target: "#calendar-body", select: "#calendar-body", swap: "outerHTML" });
    }
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
    const { ok, answer } = await post(url, { day: day.dataset.day });
    const undo = ok && answer.undo ? {
      label: answer.undo.label,
      run: async () => {
        const back = await post(answer.undo.url, answer.undo.fields);
        toast(back.answer.message, !back.ok);
        refreshCalendar();
      },
    } : null;
    toast(answer.message, !ok, undo);
    refreshCalendar();
  });

  // --- composer: files chosen are previewed at once; the live checks never upload them ---
  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.path.includes("/posts/check/") && event.detail.formData) event.detail.formData.delete("upload");
  });
  const uploadInput = document.querySelector("[data-upload-input]");
  if (uploadInput) {
    const list = document.querySelector("[data-upload-previews]");
    let shown = [];
    uploadInput.addEventListener("change", () => {
      shown.forEach((url) => URL.revokeObjectURL(url));
      shown = [];
      list.replaceChildren();
      for (const file of uploadInput.files) {
        const item = document.createElement("li");
        item.className = "upload-preview";
        if (file.type.startsWith("image/")) {
          const img = document.createElement("img");
          img.src = URL.createObjectURL(file);
          img.alt = "";
          shown.push(img.src);
          item.append(img);
        } else {
          const mark = document.createElement("span");
          mark.className = "thumb video";
          mark.setAttribute("aria-hidden", "true");
          mark.textContent = "▶";
          item.append(mark);
        }
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = file.name;
        item.append(name);
        list.append(item);
      }
      list.hidden = uploadInput.files.length === 0;
    });
  }

  // --- composer: "When" shows the date and time only when they are wanted, and names the button ---
  const whenBox = document.getElementById("composer-when");
  if (whenBox) {
    const at = whenBox.querySelector("[data-when-at]");
    const submit = document.querySelector("[data-when-submit]");
    const labels = whenBox.querySelector("template[data-when-labels]");
    const follow = () => {
      const choice = whenBox.querySelector("input[name=when]:checked")?.value || "draft";
      at.hidden = choice !== "at";
      const label = labels && labels.content.querySelector(`[data-for="${choice}"]`);
      if (submit && label) submit.textContent = label.textContent;
    };
    whenBox.addEventListener("change", follow);
    follow();
  }

  // --- approvals queue: one box ticks every row ---
  const tickAll = document.querySelector("[data-tick-all]");
  if (tickAll) {
    tickAll.hidden = false;
    tickAll.querySelector("input").addEventListener("change", (event) => {
      document.querySelectorAll(".approvals-queue input[name=variant]").forEach((box) => { box.checked = event.target.checked; });
    });
  }
})();
