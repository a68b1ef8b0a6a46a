// The cost explorer: form helpers and interactive charts (Chart.js, vendored by `make vendor`).
// Data comes from json_script elements; no inline scripts (CSP script-src 'self').
(function () {
  "use strict";

  var form = document.getElementById("explorer-form");
  if (form) {
    var range = document.getElementById("id_range");
    var start = document.getElementById("id_start");
    var end = document.getElementById("id_end");
    var syncDates = function () {
      var custom = range.value === "";
      start.disabled = !custom;
      end.disabled = !custom;
    };
    range.addEventListener("change", syncDates);
    syncDates();
    form.addEventListener("submit", function () {
      var value = document.getElementById("id_filter_value");
      if (value && value.value !== "") {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = document.getElementById("id_filter_mode").value + "." + document.getElementById("id_filter_dimension").value;
        input.value = value.value;
        form.appendChild(input);
      }
    });
  }

  if (typeof window.Chart === "undefined") return;

  // Colour plus a distinct pattern per series, so the chart reads without colour too.
  var COLOURS = ["#2f6fb0", "#d9822b", "#3a9a5b", "#b34a4a", "#7a5cb0", "#8c6d3f", "#c45c9a", "#5c7080", "#9aa5b1"];
  function pattern(index, colour) {
    var size = 10;
    var canvas = document.createElement("canvas");
    canvas.width = size;
    canvas.height = size;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "rgba(255,255,255,0.8)";
    ctx.fillStyle = "rgba(255,255,255,0.8)";
    ctx.lineWidth = 2;
    switch (index % 9) {
      case 1: ctx.beginPath(); ctx.moveTo(0, size); ctx.lineTo(size, 0); ctx.stroke(); break;
      case 2: ctx.fillRect(3, 3, 3, 3); break;
      case 3: ctx.beginPath(); ctx.moveTo(0, size / 2); ctx.lineTo(size, size / 2); ctx.stroke(); break;
      case 4: ctx.beginPath(); ctx.moveTo(size / 2, 0); ctx.lineTo(size / 2, size); ctx.stroke(); break;
      case 5: ctx.beginPath(); ctx.moveTo(0, 0); ctx.lineTo(size, size); ctx.stroke(); break;
      case 6: ctx.beginPath(); ctx.moveTo(0, 0); ctx.lineTo(size, size); ctx.moveTo(0, size); ctx.lineTo(size, 0); ctx.stroke(); break;
      case 7: ctx.beginPath(); ctx.arc(size / 2, size / 2, 2, 0, 2 * Math.PI); ctx.fill(); break;
      case 8: ctx.strokeRect(2, 2, size - 4, size - 4); break;
      default: break;
    }
    return ctx.createPattern(canvas, "repeat");
  }

  document.querySelectorAll("canvas.cost-chart").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var money = new Intl.NumberFormat(undefined, { style: "currency", currency: data.currency });
    var datasets = data.datasets.map(function (set, index) {
      var colour = COLOURS[index % COLOURS.length];
      return { label: set.label, data: set.data, links: set.links, linkTemplate: set.link_template, backgroundColor: pattern(index, colour), borderColor: colour, borderWidth: 1, stack: "cost" };
    });
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "nearest", intersect: true },
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: function (v) { return money.format(v); } } } },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + (item.raw === null ? "not in this export" : money.format(item.raw)); } } }
        },
        onClick: function (_event, elements) {
          if (!elements.length) return;
          var element = elements[0];
          var set = chart.data.datasets[element.datasetIndex];
          // A long daily chart (home) sends one link per series with {day} for the bar's ISO date.
          var link = set.links ? set.links[element.index]
            : (set.linkTemplate && data.days ? set.linkTemplate.split("{day}").join(data.days[element.index]) : null);
          if (link) window.location.assign(link);
        },
        onHover: function (event, elements) {
          var target = event.native && event.native.target;
          if (target) target.style.cursor = elements.length ? "pointer" : "default";
        }
      }
    });
    canvas.chart = chart;
  });
})();
