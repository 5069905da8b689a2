// Polls a round's run while it goes and shows its stage and counts in place; once the run has
// ended the page is loaded again, and the server shows the round it wrote (or why it stopped).
// Without JavaScript a reload shows the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-run]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-run");
  var bar = document.getElementById("r-bar");
  function set(name, text) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = text; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.finished) { window.location.reload(); return; }
        bar.max = job.total || 1;
        bar.value = job.done;
        set("stage", job.stage_text);
        set("count", job.done + (job.total !== null ? "/" + job.total : ""));
        var list = box.querySelector('[data-field="stages"]');
        while (list.children.length < job.stages_text.length) {
          var item = document.createElement("li");
          item.textContent = job.stages_text[list.children.length];
          list.appendChild(item);
        }
        window.setTimeout(poll, 500);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
