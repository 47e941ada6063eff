// Listening charts: each <canvas data-chart="ID"> is drawn from the JSON in
// <script type="application/json" id="ID"> beside it (no inline script: the page's
// Content-Security-Policy forbids them). The same numbers are in the table under each chart.
(function () {
  "use strict";

  // Numbers in the page's language with the Latin digits Kalrav's formats use everywhere.
  var lang = document.documentElement.lang || "en";
  var format = new Intl.NumberFormat(lang, { numberingSystem: "latn", maximumFractionDigits: 2 });
  // Okabe-Ito: told apart with every common colour blindness. Sentiment charts take them in
  // the order positive (green), neutral (grey), negative (vermilion).
  var colours = ["#009E73", "#8a8f98", "#D55E00", "#0072B2", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") return;
    var chart = JSON.parse(source.textContent);
    var kind = chart.kind;
    var suffix = chart.percent ? "%" : "";
    var type = kind === "stacked" || kind === "hbar" ? "bar" : kind;
    var many = chart.labels.length > 40;
    var datasets = chart.series.map(function (series, i) {
      var colour = colours[i % colours.length];
      return {
        label: series.label,
        data: series.data,
        borderColor: kind === "doughnut" ? "#fff" : (kind === "hbar" ? colours[3] : colour),
        backgroundColor: kind === "doughnut" ? chart.labels.map(function (_, j) { return colours[(j + 3) % colours.length]; }) : (kind === "hbar" ? colours[3] : colour),
        spanGaps: false,
        pointRadius: many ? 0 : 2,
        borderWidth: kind === "doughnut" ? 1 : 2,
        maxBarThickness: 28,
      };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: lang,
      plugins: {
        legend: { display: kind !== "hbar", position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (item) {
              var v = item.raw === null ? "—" : format.format(item.raw) + suffix;
              return (kind === "doughnut" ? item.label : item.dataset.label) + ": " + v;
            },
          },
        },
      },
    };
    if (kind !== "doughnut") {
      var number = { ticks: { callback: function (v) { return format.format(v) + suffix; } } };
      var category = { ticks: { autoSkip: true, maxRotation: 0, maxTicksLimit: kind === "hbar" ? 20 : 8 } };
      var stacked = kind === "stacked";
      options.interaction = { mode: "index", intersect: false };
      options.indexAxis = kind === "hbar" ? "y" : "x";
      options.scales = kind === "hbar"
        ? { x: Object.assign({ beginAtZero: true }, number), y: category }
        : { y: Object.assign({ beginAtZero: true, stacked: stacked }, number), x: Object.assign({ stacked: stacked }, category) };
      if (chart.range) { options.scales.y.min = chart.range[0]; options.scales.y.max = chart.range[1]; }
    }
    new window.Chart(canvas, { type: type, data: { labels: chart.labels, datasets: datasets }, options: options });
  }

  function start() {
    // Canvas text uses the page's own fonts (Noto Sans Devanagari, Bengali, Hind Vadodara...),
    // once they have loaded, so Indic labels do not fall back to empty boxes.
    if (window.Chart) window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    var ready = document.fonts && document.fonts.ready ? document.fonts.ready : Promise.resolve();
    ready.then(function () { document.querySelectorAll("canvas[data-chart]").forEach(draw); });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
