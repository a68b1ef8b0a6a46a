// Live state of the Exports page: polls each queued or running export's JSON status every second
// and updates its row (status, progress bar, rows, download link, error). Text only, never HTML.
(function () {
  "use strict";

  function size(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i === 0 ? bytes : bytes.toFixed(1)) + " " + units[i];
  }

  function render(row, state) {
    row.querySelector(".export-status").textContent = state.status_label;
    row.querySelector(".export-progress").value = state.progress;
    row.querySelector(".export-percent").textContent = Math.round(state.progress * 100) + "%";
    row.querySelector(".export-rows").textContent = state.rows.toLocaleString();
    var link = row.querySelector(".export-download");
    if (state.download_url) {
      link.href = state.download_url;
      link.textContent = state.file_name;
      link.hidden = false;
      row.querySelector(".export-size").textContent = size(state.file_size);
    }
    var error = row.querySelector(".export-error");
    error.textContent = state.error;
    error.hidden = !state.error;
    row.dataset.active = state.active ? "true" : "false";
  }

  function follow(row) {
    var url = row.dataset.statusUrl;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (state) {
          render(row, state);
          if (state.active) window.setTimeout(poll, 1000);
        })
        .catch(function () {
          // A blip (deploy, network): keep trying, a little slower.
          window.setTimeout(poll, 3000);
        });
    }
    window.setTimeout(poll, 1000);
  }

  document.querySelectorAll(".export-row[data-active='true']").forEach(follow);
})();
