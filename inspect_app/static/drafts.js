// Pages of plain forms saved by a button (the explanations, an appraisal section): what was
// typed and not saved is kept in the tab (sessionStorage) when the page goes -- a section
// tab, the language switch, back, a reload, a save refused offline -- and put back, marked
// "not saved yet", when the page comes back. Every ``form[data-draft]`` takes part, its
// boxes, choices and ticks (never its hidden fields: a new op_id and revision each time),
// and the language its numbers were written in, so that "1.150,25" typed in Vietnamese is
// still read so after switching to English. A form sent online is not kept (the server has
// it, or gives it back with its error); ending a stage while a box is unsaved asks first.
(function () {
  "use strict";
  var script = document.currentScript;
  var LOCALE = "numbers_locale";
  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-draft]"));
  function keyOf(form) { return "draft:" + location.pathname + ":" + form.id; }
  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !el.disabled && ["hidden", "file", "submit", "button"].indexOf(el.type) < 0;
    });
  }
  function idOf(el) { return el.type === "checkbox" || el.type === "radio" ? el.name + "=" + el.value : el.name; }
  function changed(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    return el.value.trim() !== el.defaultValue.trim();
  }
  function unsaved(form) { return fieldsOf(form).some(changed); }
  function store(name, value) {
    try { if (value === null) sessionStorage.removeItem(name); else sessionStorage.setItem(name, value); }
    catch (e) { /* storage off: the end of the stage still asks */ }
  }
  function mark(el) {
    var folded = el.closest("details");
    if (folded) folded.open = true;  // a note put back behind its fold would go unseen
    var where = el.closest(".field, fieldset, label") || el.parentNode;
    if (where.querySelector(".draft-note")) return;
    var note = document.createElement("p");
    note.className = "meta draft-note";
    note.textContent = script ? script.dataset.draft : "";
    (where.tagName === "LABEL" ? where.parentNode : where).appendChild(note);
  }
  forms.forEach(function (form) {
    var draft = null;
    try { draft = JSON.parse(sessionStorage.getItem(keyOf(form)) || "null"); } catch (e) { draft = null; }
    store(keyOf(form), null);
    if (!draft || !draft.fields || !draft.changed) return;
    var locale = form.elements[LOCALE];
    // Written in another language's numbers: the whole form comes back as it was, so that
    // one language reads every figure ("12.500,5" beside "1.150,25", never "12,500.5").
    var whole = locale && draft.locale && locale.value !== draft.locale;
    fieldsOf(form).forEach(function (el) {
      var id = idOf(el), typed = draft.changed.indexOf(id) >= 0;
      if (!Object.prototype.hasOwnProperty.call(draft.fields, id) || !(typed || whole)) return;
      if (el.type === "checkbox" || el.type === "radio") el.checked = draft.fields[id];
      else el.value = draft.fields[id];
      if (typed && changed(el)) mark(el);
    });
    if (whole) locale.value = draft.locale;
  });
  var sending = null;
  forms.forEach(function (form) {
    form.addEventListener("submit", function (event) {  // not sent offline: kept as typed
      if (!event.defaultPrevented && navigator.onLine) sending = form;
    });
  });
  window.addEventListener("pagehide", function () {
    forms.forEach(function (form) {
      if (form === sending || !unsaved(form)) return;
      var fields = {}, typed = [];
      fieldsOf(form).forEach(function (el) {
        var id = idOf(el);
        fields[id] = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
        if (changed(el)) typed.push(id);
      });
      var locale = form.elements[LOCALE];
      store(keyOf(form), JSON.stringify({ fields: fields, changed: typed, locale: locale ? locale.value : null }));
    });
  });
  var end = document.querySelector("form[data-role=end-stage]");
  if (!end) return;
  end.addEventListener("submit", function (event) {
    if (forms.some(unsaved) && !window.confirm(end.dataset.unsaved)) event.preventDefault();
  });
})();
