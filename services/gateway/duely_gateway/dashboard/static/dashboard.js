// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var COLORS = ["#4f46e5", "#0ea5e9", "#f59e0b", "#ef4444", "#10b981", "#8b5cf6", "#64748b"];

  function drawCharts() {
    if (!window.Chart) return;
    document.querySelectorAll("script.chart-spec").forEach(function (island) {
      var canvas = document.getElementById(island.dataset.for);
      if (!canvas || canvas.dataset.drawn) return;
      var spec = JSON.parse(island.textContent);
      var money = spec.options && spec.options.money;
      var round = spec.type === "doughnut";
      spec.datasets.forEach(function (set, i) {
        set.backgroundColor = round ? COLORS.slice(0, set.data.length) : COLORS[i % COLORS.length];
        if (spec.type === "line") { set.borderColor = COLORS[i % COLORS.length]; set.tension = 0.25; }
      });
      var format = money ? new Intl.NumberFormat("en-US", {style: "currency", currency: money}) : null;
      new window.Chart(canvas, {
        type: spec.type,
        data: {labels: spec.labels, datasets: spec.datasets},
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: {legend: {display: round || spec.datasets.length > 1, position: "bottom"},
                    tooltip: format ? {callbacks: {label: function (c) { return c.dataset.label + ": " + format.format(c.parsed.y); }}} : {}},
          scales: round ? {} : {y: {beginAtZero: true, ticks: format ? {callback: function (v) { return format.format(v); }} : {}}}
        }
      });
      canvas.dataset.drawn = "1";
    });
  }

  // <button data-copy="text">: copies its text (e.g. an invoice's hosted link).
  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.dataset.copy).then(function () {
          var before = button.textContent; button.textContent = "Copied"; setTimeout(function () { button.textContent = before; }, 1500);
        });
      });
    });
  }

  // <form data-confirm="Void this invoice?">: asks first.
  function confirms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
    });
  }

  // <form data-bulk data-each="/dashboard/invoices/{id}/approve">: one POST per checked `ids` box, with a
  // <progress> and a line per failure; without JavaScript the form posts all ids to its action instead.
  function bulkForms() {
    document.querySelectorAll("form[data-bulk]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var submitter = event.submitter;
        var each = (submitter && submitter.dataset.each) || form.dataset.each;
        if (!each) return;
        event.preventDefault();
        var ids = Array.prototype.map.call(document.querySelectorAll("input[name=ids]:checked"), function (b) { return b.value; });
        var bar = document.getElementById("bulk-progress"), log = document.getElementById("bulk-log");
        var csrf = form.querySelector("input[name=csrf_token]").value;
        bar.max = ids.length; bar.value = 0; bar.hidden = false; log.textContent = "";
        var done = 0, failed = 0;
        ids.reduce(function (chain, id) {
          return chain.then(function () {
            var body = new URLSearchParams({csrf_token: csrf});
            return fetch(each.replace("{id}", encodeURIComponent(id)), {method: "POST", body: body, headers: {Accept: "application/json"}, credentials: "same-origin"})
              .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, body: j}; }); })
              .then(function (res) {
                if (!res.ok) { failed++; var li = document.createElement("li"); li.textContent = id + ": " + ((res.body.error || {}).message || "failed"); log.appendChild(li); }
              }, function () { failed++; })
              .then(function () { done++; bar.value = done; document.getElementById("bulk-status").textContent = done + " of " + ids.length + " done" + (failed ? ", " + failed + " failed" : ""); });
          });
        }, Promise.resolve()).then(function () { form.dataset.finished = "1"; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(); copyButtons(); confirms(); bulkForms(); });
  window.addEventListener("load", drawCharts);
})();

// Receivables pages: once a bulk run is finished, show its "refresh" link (the rows still show the old statuses).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-bulk]").forEach(function (form) {
      var link = document.getElementById("bulk-refresh");
      if (!link || !window.MutationObserver) return;
      new MutationObserver(function () { if (form.dataset.finished) link.hidden = false; })
        .observe(form, {attributes: true, attributeFilter: ["data-finished"]});
    });
  });
})();
