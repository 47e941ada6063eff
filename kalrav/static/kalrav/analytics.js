// The analytics dashboard's charts: each <canvas data-chart="ID"> is drawn from the JSON in
// <script type="application/json" id="ID"> beside it (no inline script: the page's
// Content-Security-Policy forbids them). The same numbers are in the table under each chart.
(function () {
  "use strict";

  // Numbers in the page's language, with the Latin digits Kalrav's formats use everywhere
  // (kalrav/formats): the tables, formatted by Django, show the same.
  var lang = document.documentElement.lang || "en";

  function formatter(chart) {
    return new Intl.NumberFormat(lang, {
      numberingSystem: "latn",
      maximumFractionDigits: 1,
      useGrouping: chart.grouping,
    });
  }
  var colours = ["#4f46e5", "#0f7a4a", "#b45309", "#b42318", "#0e7490", "#7c3aed", "#be185d"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") return;
    var chart = JSON.parse(source.textContent);
    var bar = chart.kind === "bar";
    var format = formatter(chart);
    // The canvas draws its own text: give it the page's fonts, which cover Bengali, Devanagari,
    // Gujarati and Greek (Chart.js's default list does not).
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    new window.Chart(canvas, {
      type: bar ? "bar" : "line",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (series, i) {
          return {
            label: series.label,
            data: series.data,
            borderColor: colours[i % colours.length],
            backgroundColor: colours[i % colours.length],
            spanGaps: true,
            pointRadius: chart.labels.length > 40 ? 0 : 2,
            borderWidth: 2,
          };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        locale: lang,
        scales: {
          y: { beginAtZero: true, ticks: { callback: function (v) { return format.format(v); } } },
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                var v = item.raw === null ? "—" : format.format(item.raw);
                return item.dataset.label + ": " + v;
              },
            },
          },
        },
      },
    });
  }

  function start() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
