// Polls a round's progress endpoint while its collection runs and updates the bar and the
// figures in place; without JavaScript a reload shows the same figures.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-progress");
  var bar = document.getElementById("p-bar");
  function yuan(fen) {
    var sign = fen < 0 ? "-" : "", a = Math.abs(fen), whole = Math.floor(a / 100), cents = a % 100;
    return sign + whole.toLocaleString("en-US") + "." + (cents < 10 ? "0" : "") + cents;
  }
  function set(name, text) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = text; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.max = p.to_collect || 1;
        bar.value = p.sent + p.waived;
        set("sent", yuan(p.sent));
        set("waived", yuan(p.waived));
        set("unsettled_batches", String(p.unsettled_batches));
        var job = p.job;
        if (job) {
          set("job", "· " + job.stage + " " + job.done + (job.total ? "/" + job.total : "") +
              (job.error ? " · " + job.error : "") + (job.summary ? " · " + job.summary : ""));
        }
        if ((job && !job.finished) || p.unsettled_batches > 0) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
