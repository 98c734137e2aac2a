// Explanations page: ending the stage while a box holds text not saved yet asks first
// (each explanation is saved by its own form; the end of the stage carries none of them).
(function () {
  "use strict";
  var end = document.querySelector("form[data-role=end-stage]");
  if (!end) return;
  end.addEventListener("submit", function (event) {
    var unsaved = Array.prototype.some.call(document.querySelectorAll("textarea[name=text]"),
      function (box) { return box.value.trim() !== box.defaultValue.trim(); });
    if (unsaved && !window.confirm(end.dataset.unsaved)) event.preventDefault();
  });
})();
