// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID" type="application/json">
// (Django's json_script). No inline script: the page's Content-Security-Policy forbids it.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  // Axis and tooltip numbers as the page writes them, not as the browser's language
  // does: 3 160 and 4,5 in Kazakh and Russian, 3,160 and 4.5 in English. Browsers' own
  // Kazakh number data vary (Chromium writes 3,160), so Kazakh borrows Russian's.
  Chart.defaults.locale = document.documentElement.lang === "en" ? "en" : "ru";

  var style = getComputedStyle(document.documentElement);
  var colour = function (name, fallback) { return style.getPropertyValue(name).trim() || fallback; };

  function kpiChart(data) {
    // The baseline, when there is one, is a point of its own before the first year.
    var base = data.baseline;
    var before = function (series) { return base ? [null].concat(series) : series; };
    var datasets = [
      { label: data.labels.target, data: before(data.targets), borderColor: colour("--muted", "#5b6675"),
        backgroundColor: "transparent", borderWidth: 2, pointStyle: "rectRot", pointRadius: 5, spanGaps: true },
      { label: data.labels.actual, data: before(data.actuals), borderColor: colour("--brand-2", "#1565c0"),
        backgroundColor: colour("--brand-2", "#1565c0"), borderWidth: 3, pointRadius: 5, spanGaps: false },
      { label: data.labels.trend, data: before(data.trend), borderColor: colour("--accent", "#f2a900"),
        borderDash: [6, 5], borderWidth: 2, pointRadius: 0, spanGaps: true }
    ];
    if (base) {
      datasets.push({ label: data.labels.baseline, data: [base.value].concat(data.years.map(function () { return null; })),
        borderColor: colour("--ink", "#1f2933"), backgroundColor: colour("--ink", "#1f2933"),
        pointStyle: "triangle", pointRadius: 7, showLine: false });
    }
    return {
      type: "line",
      data: {
        labels: base ? [base.label].concat(data.years) : data.years,
        datasets: datasets
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { reverse: !!data.reverse, title: { display: true, text: data.labels.axis },
                       beginAtZero: !data.reverse } },
        plugins: { legend: { position: "bottom" } }
      }
    };
  }

  function directionChart(data) {
    return {
      type: "bar",
      data: {
        labels: data.years,
        datasets: data.series.map(function (s) {
          return { label: s.label, data: s.values, backgroundColor: s.colour, stack: "kpis" };
        })
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true,
                  title: { display: true, text: data.labels.axis }, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } }
      }
    };
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var config = data.kind === "direction" ? directionChart(data) : kpiChart(data);
    new Chart(canvas, config);
    canvas.dataset.rendered = "true";  // the browser test checks this
  });
})();
