// Draws every chart on the page from its JSON block with Chart.js (installed from npm by
// `make install`). Without JavaScript the same figures stay readable in the tables beside them.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var block = document.getElementById(canvas.getAttribute("data-chart"));
    if (!block) { return; }
    var spec = JSON.parse(block.textContent);
    new window.Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          return {
            label: s.label, data: s.values,
            backgroundColor: i === 0 ? "#0b5cad" : "#c66a00",
            borderColor: i === 0 ? "#0b5cad" : "#c66a00",
          };
        }),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, title: { display: !!spec.unit, text: spec.unit } } },
      },
    });
  });
})();
