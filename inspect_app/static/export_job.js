// The progress of a background Excel export (templates/exports/job.html): polls the job's
// JSON status and updates the bar, the count, the error and the download link in place.
// Without JavaScript the page refreshes itself (meta refresh) until the job ends.
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  function active(status) { return status === "running" || status === "queued"; }
  if (!box || !active(box.dataset.status) || !window.fetch) return;
  var refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) refresh.parentNode.removeChild(refresh); // polling does it, without reloads
  var bar = document.getElementById("export-progress");
  var percent = document.getElementById("export-percent");
  var count = document.getElementById("export-count");
  function show(id, visible) { document.getElementById(id).hidden = !visible; }
  function update(s) {
    bar.value = s.percent;
    percent.textContent = s.percent + "%";
    count.textContent = s.status === "queued" ? box.dataset.textQueued
      : s.status !== "running" ? "" : s.total
      ? box.dataset.textRecords.replace("{done}", s.done).replace("{total}", s.total)
      : box.dataset.textStarting;
    show("export-running", active(s.status));
    if (s.error) { document.getElementById("export-error").textContent = s.error; }
    show("export-error", !!s.error);
    show("export-no-worker", !!s.no_worker);
    if (s.download) { document.getElementById("export-download").href = s.download; }
    if (s.expires) { document.getElementById("export-expires").textContent = s.expires; }
    show("export-done", s.status === "done");
    if (!active(s.status) && s.status !== "done") { window.location.reload(); }
    return active(s.status);
  }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (s) { if (update(s)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
