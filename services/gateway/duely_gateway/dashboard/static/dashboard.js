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

// Settings pages (WP5): rows that can be added and removed, the branding sample following the colour and
// footer fields, and the email template preview re-rendered by the API as you type. All optional.
(function () {
  "use strict";

  // <div data-rows="step"> holding <… data-row> rows whose fields are named step_<field>_<i> with a hidden
  // step_row=i; <button data-add-row="step"> clones the last row with the next index; [data-remove-row] removes.
  function editableRows() {
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      var box = document.querySelector('[data-rows="' + button.dataset.addRow + '"]');
      if (!box) return;
      var prefix = button.dataset.addRow;
      button.hidden = false;
      box.querySelectorAll("[data-remove-row]").forEach(function (b) { b.hidden = false; });
      box.addEventListener("click", function (event) {
        var remove = event.target.closest("[data-remove-row]");
        if (!remove) return;
        var rows = box.querySelectorAll("[data-row]");
        var row = remove.closest("[data-row]");
        if (rows.length > 1) { row.remove(); } else { row.querySelectorAll("input:not([type=hidden]), select").forEach(clear); }
      });
      button.addEventListener("click", function () {
        var rows = box.querySelectorAll("[data-row]");
        var last = rows[rows.length - 1];
        var next = 0;
        box.querySelectorAll('input[name="' + prefix + '_row"]').forEach(function (i) { next = Math.max(next, +i.value + 1); });
        var copy = last.cloneNode(true);
        var re = new RegExp("^(" + prefix + "_\\w+?_)\\d+$");
        copy.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
          ["name", "id", "for"].forEach(function (attr) {
            var v = el.getAttribute(attr);
            if (v && re.test(v)) el.setAttribute(attr, v.replace(re, "$1" + next));
          });
          if (el.getAttribute("aria-label")) el.setAttribute("aria-label", el.getAttribute("aria-label").replace(/\d+/, rows.length + 1));
        });
        copy.querySelector('input[name="' + prefix + '_row"]').value = next;
        copy.querySelectorAll("input:not([type=hidden]), select").forEach(clear);
        last.after(copy);
        var first = copy.querySelector("input:not([type=hidden])");
        if (first) first.focus();
      });
    });
  }

  function clear(el) {
    if (el.type === "checkbox") el.checked = false; else if (el.tagName === "SELECT") el.selectedIndex = 0; else el.value = "";
  }

  // Branding: the colour field and its picker agree; the sample follows colour and footer as you type.
  function brandingSample() {
    var text = document.querySelector("[data-accent-input]"), picker = document.querySelector("[data-accent-picker]");
    var sample = document.querySelector("[data-accent-sample]"), footer = document.getElementById("footer");
    if (!text || !sample) return;
    function show(value) { if (/^#[0-9a-fA-F]{6}$/.test(value)) sample.style.setProperty("--doc-accent", value); }
    text.addEventListener("input", function () { show(text.value); if (picker && /^#[0-9a-fA-F]{6}$/.test(text.value)) picker.value = text.value.toLowerCase(); });
    if (picker) picker.addEventListener("input", function () { text.value = picker.value; show(picker.value); });
    if (footer) footer.addEventListener("input", function () { var p = sample.querySelector("[data-footer-sample]"); if (p) p.textContent = footer.value; });
  }

  // Email template: POST the draft to the page's preview route (JSON) 400 ms after the last keystroke.
  function templatePreview() {
    var form = document.querySelector("form[data-preview]");
    if (!form) return;
    var timer = null, seq = 0, box = document.querySelector(".preview"), status = document.getElementById("preview-status");
    function render() {
      var mine = ++seq;
      var body = new URLSearchParams(new FormData(form));
      box.classList.add("stale");
      fetch(form.dataset.preview, {method: "POST", body: body, headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, body: j}; }); })
        .then(function (res) {
          if (mine !== seq) return;
          box.classList.remove("stale");
          if (!res.ok) { status.textContent = "(" + ((res.body.error || {}).message || "cannot render") + ")"; return; }
          status.textContent = "(sample invoice, updated " + new Date().toLocaleTimeString() + ")";
          document.getElementById("preview-subject").textContent = res.body.subject;
          document.getElementById("preview-html").srcdoc = res.body.html;
          var text = document.getElementById("preview-text"); text.textContent = res.body.text; text.hidden = false;
          var sms = document.getElementById("preview-sms"); if (sms && res.body.sms != null) sms.textContent = res.body.sms;
          form.dataset.previewed = String(mine);
        }, function () { box.classList.remove("stale"); });
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(render, 400); });
  }

  document.addEventListener("DOMContentLoaded", function () { editableRows(); brandingSample(); templatePreview(); });
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
