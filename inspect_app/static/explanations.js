// Explanations page: each explanation is saved by its own form, so pressing one card's
// button reloads the page without what was typed in the other cards. Texts not saved are
// kept in the tab (sessionStorage) when the page goes and put back, marked "not saved yet",
// when it comes back; ending the stage while a box holds unsaved text asks first.
(function () {
  "use strict";
  var script = document.currentScript;
  var key = "explain-draft:" + location.pathname + ":";
  var boxes = Array.prototype.slice.call(document.querySelectorAll("textarea[name=text]"));
  function unsaved(box) { return box.value.trim() !== box.defaultValue.trim(); }
  function store(name, value) {
    try { if (value === null) sessionStorage.removeItem(name); else sessionStorage.setItem(name, value); }
    catch (e) { /* storage off: the end of the stage still asks */ }
  }
  boxes.forEach(function (box) {
    var name = key + box.form.id, draft = null;
    try { draft = sessionStorage.getItem(name); } catch (e) { draft = null; }
    store(name, null);
    if (draft === null || box.disabled || draft.trim() === box.defaultValue.trim()) return;
    box.value = draft;
    var note = document.createElement("p");
    note.className = "meta draft-note";
    note.textContent = script ? script.dataset.draft : "";
    box.parentNode.appendChild(note);
  });
  var sending = null;
  Array.prototype.forEach.call(document.querySelectorAll("form[id^=explain-]"), function (form) {
    form.addEventListener("submit", function (event) {  // not sent offline: kept as typed
      if (!event.defaultPrevented && navigator.onLine) sending = form;
    });
  });
  window.addEventListener("pagehide", function () {
    boxes.forEach(function (box) {
      if (box.form !== sending && unsaved(box)) store(key + box.form.id, box.value);
    });
  });
  var end = document.querySelector("form[data-role=end-stage]");
  if (!end) return;
  end.addEventListener("submit", function (event) {
    if (boxes.some(unsaved) && !window.confirm(end.dataset.unsaved)) event.preventDefault();
  });
})();
