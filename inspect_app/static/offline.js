/* What fill.js and plan.js share: operation ids, a change queue kept on the phone,
 * and photos made smaller before they travel over weak mobile data. */
(function () {
  "use strict";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /* The queue of one page, kept in localStorage so that closing the page loses nothing. */
  function loadQueue(key) {
    try { return JSON.parse(localStorage.getItem(key)) || {}; } catch (e) { return {}; }
  }

  function saveQueue(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: memory only */ }
  }

  /* A JPEG whose long side is at most maxSide, turned the way the camera meant. */
  function downscale(file, maxSide) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size < 1500000) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85); });
    }).catch(function () { return file; });
  }

  /* Retries with a growing pause (2 s, 4 s … 30 s) while the network is bad;
   * ok() after a success starts again from 2 s. */
  function retrier(run) {
    var delay = 2000, timer = null;
    return {
      schedule: function () {
        if (timer) return;
        timer = setTimeout(function () {
          timer = null;
          delay = Math.min(delay * 2, 30000);
          run();
        }, delay);
      },
      ok: function () { delay = 2000; }
    };
  }

  window.InspectOffline = { uuid: uuid, loadQueue: loadQueue, saveQueue: saveQueue,
                            downscale: downscale, retrier: retrier };
})();
