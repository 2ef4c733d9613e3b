// The dashboard's two charts, drawn with the vendored Chart.js (static/vendor/chartjs) from the figures the
// page embeds (json_script); the same figures are in the page's tables for screen readers and printing.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var lang = document.documentElement.lang || "id";
    var number = new Intl.NumberFormat(lang === "en" ? "en" : "id-ID");
    var ticks = { precision: 0, callback: function (value) { return number.format(value); } };

    var regions = document.getElementById("chart-regions");
    if (regions) {
      var datasets = [
        { label: data.regions.labelEnrolled, data: data.regions.enrolled, backgroundColor: "#0f766e" },
        { label: data.regions.labelPending, data: data.regions.pending, backgroundColor: "#f59e0b" }
      ];
      if (data.regions.target.some(function (value) { return value !== null; })) {
        datasets.push({ label: data.regions.labelTarget, data: data.regions.target, backgroundColor: "#cbd5e1" });
      }
      new window.Chart(regions, {
        type: "bar",
        data: { labels: data.regions.labels, datasets: datasets },
        options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: ticks } } }
      });
    }

    var trend = document.getElementById("chart-trend");
    if (trend) {
      new window.Chart(trend, {
        type: "line",
        data: {
          labels: data.trend.labels,
          datasets: [
            { label: data.trend.labelRegistered, data: data.trend.registered, borderColor: "#2563eb", yAxisID: "people" },
            { label: data.trend.labelSubmitted, data: data.trend.submitted, borderColor: "#f59e0b", yAxisID: "people" },
            { label: data.trend.labelBilled, data: data.trend.billed, borderColor: "#64748b", borderDash: [6, 4], yAxisID: "money" },
            { label: data.trend.labelPaid, data: data.trend.paid, borderColor: "#0f766e", borderDash: [6, 4], yAxisID: "money" }
          ]
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: {
            people: { type: "linear", position: "left", beginAtZero: true, ticks: ticks },
            money: { type: "linear", position: "right", beginAtZero: true, ticks: ticks, grid: { drawOnChartArea: false } }
          }
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
