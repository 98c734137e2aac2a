/* On every page: images drawn only when their box is opened (the join QR code). */
(function () {
  "use strict";

  document.querySelectorAll("details img[data-src]").forEach(function (img) {
    var box = img.closest("details");
    var load = function () { if (box.open && !img.getAttribute("src")) img.src = img.dataset.src; };
    box.addEventListener("toggle", load);
    load();
  });
})();
