/* On every page: the service worker, the queue badge and offline mark, keeping an open
 * inspection on the phone, the refusal to finalize while its changes wait, the queue page,
 * and images drawn only when their box is opened (the join QR code). */
(function () {
  "use strict";

  var body = document.body;
  var Q = window.InspectQueue;
  var i18n = {};
  try { i18n = JSON.parse(body.dataset.queueI18n || "{}"); } catch (e) { i18n = {}; }
  function t(key, count) { return (i18n[key] || key).replace("%(count)s", count); }

  /* ---------------------------------------------------------------- lazy images */

  document.querySelectorAll("details img[data-src]").forEach(function (img) {
    var box = img.closest("details");
    var load = function () { if (box.open && !img.getAttribute("src")) img.src = img.dataset.src; };
    box.addEventListener("toggle", load);
    load();
  });

  document.querySelectorAll("[data-action=reload]").forEach(function (button) {
    button.addEventListener("click", function () { location.reload(); });
  });

  /* ---------------------------------------------------------------- the service worker */

  var inspection = (location.pathname.match(/\/inspections\/([A-Za-z0-9_-]+)(\/|$)/) || [])[1];
  if (inspection === "new") inspection = null;

  /* Every page of this inspection that the page links to, its review and overview and its
   * JSON: the service worker keeps them, so the whole inspection opens offline. */
  function offlinePack() {
    if (!inspection || !body.dataset.user) return [];
    var base = body.dataset.inspectionsBase || "/inspections/";
    var own = base + inspection;
    var urls = {};
    urls[own] = 1; urls[own + "/review"] = 1;
    document.querySelectorAll("a[href]").forEach(function (a) {
      var url = new URL(a.href, location.href);
      if (url.origin !== location.origin) return;
      if (url.pathname === own || url.pathname.indexOf(own + "/s/") === 0 || url.pathname === own + "/review")
        urls[url.pathname] = 1;
    });
    if (body.dataset.api) urls[body.dataset.api.replace("__ID__", inspection)] = 1;
    if (body.dataset.queue) urls[body.dataset.queue] = 1;  // the queue page opens offline too
    delete urls[location.pathname];
    return Object.keys(urls);
  }

  function prefetch(force) {
    var sw = navigator.serviceWorker && navigator.serviceWorker.controller;
    var urls = offlinePack();
    if (!sw || !urls.length || !navigator.onLine) return;
    sw.postMessage({ type: "prefetch", inspection: inspection, urls: urls, force: !!force, user: body.dataset.user });
  }

  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope || "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      if (navigator.serviceWorker.controller) prefetch(false);
      else navigator.serviceWorker.addEventListener("controllerchange", function () { prefetch(false); }, { once: true });
    }).catch(function () { /* no service worker (private mode, http): pages still work online */ });
  }

  /* ---------------------------------------------------------------- badge and offline mark */

  var badge = document.querySelector("[data-role=queue-badge]");
  var offlineMark = document.querySelector("[data-role=offline-mark]");

  function refresh() {
    if (offlineMark) offlineMark.hidden = navigator.onLine;
    if (!Q || !Q.user) return;
    Q.mine().then(function (ops) {
      if (badge) {
        badge.hidden = !ops.length;
        badge.textContent = t("badge", ops.length);
        badge.classList.toggle("bad", ops.some(function (op) { return op.state !== "waiting" && op.state !== "sending"; }));
      }
      var here = document.querySelector("[data-role=waiting-here]");
      if (here) {
        var n = ops.filter(function (op) { return op.inspection === inspection; }).length;
        here.hidden = !n;
        here.querySelector("span").textContent = t("waiting_here", n);
      }
    }, function () {});
  }

  if (Q) {
    Q.on(function (event) {
      if (event.type === "change" || event.type === "done" || event.type === "discarded") refresh();
      // after changes made offline reached the server: keep pages that show them
      if (event.type === "drained" && event.sent && wasOffline) { wasOffline = false; prefetch(true); }
      if (event.type === "no_storage") warn(t("no_storage"));
    });
  }
  var wasOffline = !navigator.onLine;
  window.addEventListener("online", refresh);
  window.addEventListener("offline", function () { wasOffline = true; refresh(); });

  function warn(text) {
    var box = document.querySelector("[data-role=storage-warning]");
    if (!box) return;
    box.textContent = text; box.hidden = false;
  }

  /* A banner on every page of an inspection whose changes wait here. */
  if (inspection && Q && Q.user) {
    var main = document.getElementById("main");
    var here = document.createElement("p");
    here.className = "flash flash-warning"; here.hidden = true;
    here.setAttribute("data-role", "waiting-here");
    here.appendChild(document.createElement("span"));
    here.appendChild(document.createTextNode(" "));
    var link = document.createElement("a");
    link.href = body.dataset.queue; link.textContent = t("queue");
    here.appendChild(link);
    if (main) main.insertBefore(here, main.firstChild);
  }

  /* Ask the browser to keep this app's data even when the phone runs low on space. */
  if (Q && Q.user && navigator.storage && navigator.storage.persist) {
    navigator.storage.persisted().then(function (already) {
      return already || navigator.storage.persist();
    }).then(function (kept) {
      if (kept) return;
      return Q.mine().then(function (ops) { if (ops.length) warn(t("persist_denied")); });
    }).catch(function () {});
  }

  /* Logging out forgets the pages kept for this user (a shared phone shows them to nobody
   * else); what waits in the queue stays, and is sent when this user logs in again. */
  document.querySelectorAll("form.logout").forEach(function (form) {
    var done = false;
    form.addEventListener("submit", function (event) {
      if (done || !window.caches) return;
      event.preventDefault();
      var go = function () { done = true; form.submit(); };
      caches.delete("pages-v1").then(go, go);
    });
  });

  /* ---------------------------------------------------------------- finalizing */

  document.querySelectorAll("form[action]").forEach(function (form) {
    var match = form.getAttribute("action").match(/\/inspections\/([A-Za-z0-9_-]+)\/finalize$/);
    if (!match || !Q) return;
    var checked = false;
    form.addEventListener("submit", function (event) {
      if (checked) return;
      event.preventDefault();
      Q.mine(match[1]).then(function (ops) {
        var old = form.querySelector(".queue-block");
        if (old) old.remove();
        if (!ops.length) { checked = true; form.requestSubmit ? form.requestSubmit(event.submitter) : form.submit(); return; }
        var box = document.createElement("p");
        box.className = "error queue-block"; box.setAttribute("role", "alert");
        box.appendChild(document.createTextNode(t("finalize_blocked") + " "));
        var a = document.createElement("a"); a.href = body.dataset.queue; a.textContent = t("queue");
        box.appendChild(a);
        form.insertBefore(box, form.firstChild);
      }, function () { checked = true; form.submit(); });
    });
  });

  /* ---------------------------------------------------------------- the queue page */

  var list = document.querySelector("[data-role=queue-list]");
  if (list && Q) {
    var empty = document.querySelector("[data-role=queue-empty]");
    var others = document.querySelector("[data-role=queue-others]");
    var render = function () {
      Q.all().then(function (ops) {
        var own = ops.filter(function (op) { return op.user === Q.user; });
        var foreign = ops.length - own.length;
        list.textContent = "";
        own.forEach(function (op) { list.appendChild(row(op)); });
        empty.hidden = own.length > 0;
        others.hidden = !foreign;
        others.textContent = t("others", foreign);
      });
    };
    var row = function (op) {
      var li = document.createElement("li");
      li.className = "queue-item state-" + op.state;
      li.dataset.seq = op.seq; li.dataset.state = op.state;
      var head = document.createElement("p");
      var tag = document.createElement("span");
      tag.className = "tag"; tag.textContent = t("state_" + op.state);
      head.appendChild(tag);
      var what = document.createElement("strong");
      what.textContent = " " + (op.corrupt ? "" : t("kind_" + op.kind)) + " " + (op.label || op.key || "");
      head.appendChild(what);
      li.appendChild(head);
      var meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = op.corrupt ? op.raw : [op.where || "", op.created ? new Date(op.created).toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "vi-VN") : ""].filter(Boolean).join(" · ");
      li.appendChild(meta);
      if (op.error || op.state === "conflict") {
        var reason = document.createElement("p");
        reason.className = "error"; reason.textContent = op.error || t("state_conflict");
        li.appendChild(reason);
      }
      var actions = document.createElement("p");
      actions.className = "actions";
      if (op.page) {
        var open = document.createElement("a");
        open.className = "button secondary"; open.href = op.page; open.textContent = t("open");
        actions.appendChild(open);
      }
      if (!op.corrupt) {
        var send = document.createElement("button");
        send.type = "button"; send.className = "button secondary"; send.textContent = t("send_now");
        send.dataset.action = "send";
        send.addEventListener("click", function () { Q.sendNow(op.seq).then(render); });
        actions.appendChild(send);
      }
      var drop = document.createElement("button");
      drop.type = "button"; drop.className = "button danger"; drop.textContent = t("discard");
      drop.dataset.action = "discard";
      drop.addEventListener("click", function () {
        if (window.confirm(t("confirm_discard"))) Q.discard(op.seq).then(render);
      });
      actions.appendChild(drop);
      li.appendChild(actions);
      return li;
    };
    Q.on(function (event) { if (event.type !== "sending") render(); });
    var all = document.querySelector("[data-action=send-all]");
    if (all) all.addEventListener("click", function () {
      Q.all().then(function (ops) {
        return Promise.all(ops.filter(function (op) { return op.user === Q.user && op.state === "refused"; }).map(function (op) {
          op.state = "waiting"; op.attempts = 0; return Q.put(op);
        }));
      }).then(function () { return Q.flush(); }).then(render);
    });
    render();
  }

  refresh();
})();
