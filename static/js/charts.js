// Charts from data on the page, without inline scripts (the Content Security Policy allows files from this
// site only): <canvas data-chart="ID"> draws the JSON of <script type="application/json" id="ID"> (Django's
// json_script), shaped {"type": "line"|"bar", "labels": [...], "datasets": [{"label": ..., "data": [...]}],
// "percent": true|false}. Chart.js is vendored in static/vendor/chartjs (no CDN). Numbers on the axes and in
// tooltips follow the page's language (the <html lang>).
(function () {
  "use strict";
  var COLOURS = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#dc3545", "#20c997", "#6c757d"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) { return; }
    var spec = JSON.parse(source.textContent);
    var locale = document.documentElement.lang || "en";
    var format = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
    var show = function (value) { return format.format(value) + (spec.percent ? " %" : ""); };
    new window.Chart(canvas, {
      type: spec.type || "line",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          var colour = COLOURS[index % COLOURS.length];
          return Object.assign({ borderColor: colour, backgroundColor: colour, tension: 0.2 }, dataset);
        })
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: locale,
        scales: { y: { beginAtZero: true, ticks: { callback: show } } },
        plugins: {
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + show(item.parsed.y); } } }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
