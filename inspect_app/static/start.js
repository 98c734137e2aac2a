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

  function kindOf(code) {  // the forms of domain/periods.py, codes and words
    var m = /^\d{4}(?:-(W\d{2}|Q\d|H\d|\d{2}))?$/i.exec(code);
    if (m) return m[1] ? (/^\d/.test(m[1]) ? "M" : m[1].charAt(0).toUpperCase()) : "Y";
    var words = code.normalize("NFC").toLowerCase();  // "Năm 2025", "Quý II năm 2026", "03/2026"
    if (/^(năm|year)\s/.test(words)) return "Y";
    if (/^(quý|quarter|q\d)/.test(words)) return "Q";
    if (/^(tuần|week|w\d)/.test(words)) return "W";
    if (/^(tháng|month)\s/.test(words) || /^\d{1,2}\/\d{4}$/.test(words)) return "M";
    if (/^(6 tháng|nửa|h\d)/.test(words)) return "H";
    return "";
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
