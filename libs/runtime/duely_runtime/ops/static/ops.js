// Progressive enhancement: draw the last hour's samples (the tables beside the charts hold the same numbers).
(function () {
  "use strict";
  var data = document.getElementById("ops-history");
  if (!data || typeof Chart === "undefined") return;
  var history = JSON.parse(data.textContent || "[]");
  document.documentElement.classList.add("js-charts");
  var seconds = Number(data.getAttribute("data-interval-s")) < 60;  // HH:MM:SS when sampled faster than a minute
  var labels = history.map(function (p) { return (p.at || "").slice(11, seconds ? 19 : 16); });
  document.querySelectorAll("figure.chart").forEach(function (figure) {
    var key = figure.getAttribute("data-series");
    var canvas = figure.querySelector("canvas");
    if (!canvas) return;
    new Chart(canvas, {
      type: key === "errors" || key === "inbox_per_minute" ? "bar" : "line",
      data: { labels: labels, datasets: [{ label: figure.querySelector("strong").textContent,
        data: history.map(function (p) { return p[key]; }),
        borderColor: "#0f766e", backgroundColor: "rgba(15,118,110,0.25)", fill: true, tension: 0.2,
        pointRadius: history.length > 20 ? 0 : 2 }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 6 } } } }
    });
  });
})();
