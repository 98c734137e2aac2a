/* Printed documents: the "Print" button (the Content-Security-Policy allows no inline script). */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-action='print']").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
