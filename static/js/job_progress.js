// Live progress of an ingestion job: polls its JSON endpoint every second while it is queued or running.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.active !== "true") return;
  var url = box.dataset.progressUrl;

  function size(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i === 0 ? bytes : bytes.toFixed(1)) + " " + units[i];
  }

  function set(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function render(state) {
    set("job-status", state.status_label);
    var bar = document.getElementById("job-progress");
    if (bar) bar.value = state.progress;
    set("job-percent", Math.round(state.progress * 100) + "%");
    set("job-rows", state.rows.toLocaleString());
    set("job-bytes-done", size(state.bytes_done));
    set("job-bytes-total", size(state.bytes_total));
    set("job-duration", state.duration_seconds === null ? "" : state.duration_seconds + " s");
    set("job-periods", state.billing_periods.join(", "));
    var explorer = document.getElementById("job-explorer");
    var explorerLink = document.getElementById("job-explorer-link");
    if (explorer && explorerLink && state.explorer_url) {
      explorerLink.href = state.explorer_url;
      explorerLink.textContent = "See " + state.billing_periods.join(", ") + " in the cost explorer";
      explorer.hidden = false;
    }
    var error = document.getElementById("job-error");
    if (error) {
      error.textContent = state.error;
      error.hidden = !state.error;
    }
    renderList("job-notes", state.notes, function (note) { return [note]; });
    renderList("job-warnings", state.warnings, function (w) {
      return [w.file, String(w.row), w.column, w.value, w.message];
    });
  }

  // Notes are list items; warnings are table rows (one cell per field). Text only, never HTML.
  function renderList(id, items, cells) {
    var list = document.getElementById(id);
    var box = document.getElementById(id + "-box");
    if (!list || !box) return;
    list.textContent = "";
    (items || []).forEach(function (item) {
      var values = cells(item);
      var row = document.createElement(values.length === 1 ? "li" : "tr");
      values.forEach(function (value) {
        var cell = values.length === 1 ? row : row.appendChild(document.createElement("td"));
        cell.textContent = value;
      });
      list.appendChild(row);
    });
    box.hidden = !(items && items.length);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (state) {
        render(state);
        if (state.active) window.setTimeout(poll, 1000);
      })
      .catch(function () {
        // A blip (deploy, network): keep trying, a little slower.
        window.setTimeout(poll, 3000);
      });
  }

  window.setTimeout(poll, 1000);
})();
