// Review page: "Finalize…" asks for confirmation in a dialog instead of leaving the page.
// The dialog holds the confirmation step of the server (GET …/finalize): the same summary
// (score, shortcomings, items to be created, unanswered) and the real finalize form with
// its CSRF token. Without JavaScript, or when that page cannot be fetched, the button
// simply opens the confirmation page.
(function () {
  "use strict";
  var start = document.getElementById("finalize-start");
  var dialog = document.getElementById("finalize-dialog");
  if (!start || !dialog || typeof dialog.showModal !== "function" || !window.fetch) return;

  start.addEventListener("submit", function (event) {
    event.preventDefault();
    var offline = start.querySelector("[data-role=finalize-offline]");
    if (offline) offline.hidden = navigator.onLine;
    if (!navigator.onLine) return;  // the summary must be the server's of now
    var url = start.action + "?" + new URLSearchParams(new FormData(start)).toString();
    fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error("no confirmation step");
        return response.text();
      })
      .then(function (html) {
        var part = new DOMParser().parseFromString(html, "text/html").getElementById("finalize-confirm");
        if (!part) throw new Error("no confirmation step");
        dialog.replaceChildren(document.importNode(part, true));
        dialog.querySelectorAll("[data-role=cancel]").forEach(function (link) {
          link.addEventListener("click", function (e) { e.preventDefault(); dialog.close(); });
        });
        var confirm = dialog.querySelector("#finalize-form");
        if (confirm) {
          confirm.addEventListener("submit", function () {  // one tap: no second finalize
            var button = confirm.querySelector("button[type=submit]");
            if (button) button.disabled = true;
          });
        }
        dialog.showModal();
        // focus the title: the summary shows first, and a stray Enter finalizes nothing
        var title = dialog.querySelector("#finalize-title");
        if (title) title.focus();
        dialog.scrollTop = 0;
      })
      .catch(function () { window.location.href = url; });
  });
})();

// Finalizing is held on the phone while it holds unsent changes of the inspection (the
// review page's dialog and the confirmation page): the queue page says which.
(function () {
  "use strict";
  var Q = window.InspectQueue, t = Q && Q.t, body = document.body;
  if (!Q) return;
  // One listener for every finalize form, also those added later (the review's dialog),
  // run before the page's own (capture): the form is held while changes wait here.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var match = form && form.getAttribute && (form.getAttribute("action") || "").match(/\/inspections\/([A-Za-z0-9_-]+)\/finalize$/);
    if (!match || form.dataset.queueChecked) { if (form && form.dataset) delete form.dataset.queueChecked; return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    var submitter = event.submitter;
    Q.mine(match[1]).then(function (ops) {
      var old = form.querySelector(".queue-block");
      if (old) old.remove();
      var offline = !ops.length && !navigator.onLine;  // a post into no network: the browser's error page
      document.querySelectorAll("[data-role=finalize-offline]").forEach(function (note) { note.hidden = !offline; });
      if (offline) return;
      if (!ops.length) {
        form.dataset.queueChecked = "1";
        if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
        return;
      }
      var box = document.createElement("p");
      box.className = "error queue-block"; box.setAttribute("role", "alert");
      box.appendChild(document.createTextNode(t("finalize_blocked") + " "));
      var a = document.createElement("a"); a.href = body.dataset.queue; a.textContent = t("queue");
      box.appendChild(a);
      form.insertBefore(box, form.firstChild);
    }, function () { form.submit(); });
  }, true);
})();
