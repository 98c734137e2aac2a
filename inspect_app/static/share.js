/* The join link beside the QR code on an inspection's overview (issue 11): copied with the
 * Clipboard API (else selected, to copy from the menu), shared with the Web Share API where
 * the phone has it (the share button stays hidden otherwise). Only the overview loads it. */
(function () {
  "use strict";

  document.querySelectorAll("[data-role=join-link]").forEach(function (holder) {
    var box = holder.querySelector("[data-role=join-url]");
    var state = holder.querySelector("[data-role=copy-state]");
    var copy = holder.querySelector("[data-action=copy-link]");
    var share = holder.querySelector("[data-action=share-link]");
    var select = function () { box.focus(); box.select(); box.setSelectionRange(0, box.value.length); };
    var fallback = function () {
      select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      state.textContent = copied ? copy.dataset.copied : copy.dataset.select;
    };
    box.addEventListener("focus", select);
    copy.hidden = false;
    copy.addEventListener("click", function () {
      if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
        navigator.clipboard.writeText(box.value).then(function () { state.textContent = copy.dataset.copied; }, fallback);
      } else fallback();
    });
    if (navigator.share) {
      share.hidden = false;
      share.addEventListener("click", function () {
        navigator.share({ title: share.dataset.title, text: share.dataset.title, url: box.value }).catch(function () { /* cancelled */ });
      });
    }
  });

})();
