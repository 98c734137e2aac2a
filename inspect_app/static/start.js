// Start form: the period follows the chosen checklist's cadence. When the checklist
// changes, the period box gets that checklist's current period (unless the user typed
// one of their own that fits it) and the hint says how to write one. Without JavaScript the server
// does the same when the form comes back (web/inspections.py).
(function () {
  "use strict";
  var form = document.getElementById("start-form");
  if (!form || !form.dataset.periods) return;
  var periods = JSON.parse(form.dataset.periods);
  var checklist = form.elements.namedItem("checklist");
  var period = form.elements.namedItem("period");
  if (!checklist || !period) return;
  var hint = document.getElementById(period.id + "-hint");
  var proposed = period.value;  // what the page proposed: replaced freely

  function kindOf(code) {  // the forms of domain/periods.py
    var m = /^\d{4}(?:-(W\d{2}|Q\d|H\d|\d{2}))?$/i.exec(code);
    if (!m) return "";
    return m[1] ? (/^\d/.test(m[1]) ? "M" : m[1].charAt(0).toUpperCase()) : "Y";
  }

  checklist.addEventListener("change", function () {
    var chosen = periods[checklist.value];
    if (!chosen) return;
    var typed = period.value.trim();
    if (typed === "" || typed === proposed || (chosen.fixed && kindOf(typed) !== kindOf(chosen["default"]))) {
      period.value = chosen["default"];
    }
    proposed = chosen["default"];
    if (hint) hint.textContent = chosen.hint;
  });
})();
