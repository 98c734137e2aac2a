/* The one queue of changes on this phone (issue 11), and below it what every page does
 * with it (badge, service worker, finalize guard, the queue page).
 *
 * The queue: answers, notes, photos (as blobs)
 * and remediation updates wait in IndexedDB until the server has them.
 *
 * Each change is an operation {kind, user, inspection, key, url, method, op_id, base_rev,
 * body | blob} kept in the "ops" store in the order it was made. Any page sends them, one
 * after the other (a Web Lock keeps two tabs from sending at once), always with the same
 * op_id, so a retry after a lost answer is never saved twice (DESIGN §7). An operation
 * belongs to the user who made it: it is only sent when /app/session says that user is
 * logged in, with that session's CSRF token.
 *
 *   2xx        done: removed; the next operation of the same criterion or item is rebased
 *              on the new revision (it was made before this one came back)
 *   409        a conflict with the current answer, kept until the user chooses
 *   400–422    refused, kept with the server's (translated) reason until discarded
 *   401        kept; sent when that user logs in again
 *   5xx, none  kept; the whole queue is retried with a growing pause (2 s … 30 s)
 *
 * A record that cannot be read back is shown as damaged on the queue page, never dropped.
 */
(function () {
  "use strict";

  var DB_NAME = "inspect-app", DB_VERSION = 1;
  var KINDS = { answer: 1, photo: 1, item: 1, item_photo: 1 };
  var body = document.body;
  var sessionUrl = body.dataset.session || "/app/session";
  var pageUser = body.dataset.user || null;
  var listeners = [];
  var dbPromise = null;
  var running = false, again = false;
  var delay = 2000, timer = null;
  var lastSession = null;

  /* ---------------------------------------------------------------- helpers */

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
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
      var pen = canvas.getContext("2d");
      pen.fillStyle = "#fff"; pen.fillRect(0, 0, canvas.width, canvas.height); // transparent parts on white, as on the page
      pen.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85); });
    }).catch(function () { return file; });
  }

  function emit(event) {
    listeners.slice().forEach(function (fn) { try { fn(event); } catch (e) { /* a page's bug stops nothing */ } });
  }

  /* ---------------------------------------------------------------- IndexedDB */

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("ops")) db.createObjectStore("ops", { keyPath: "seq", autoIncrement: true });
        if (!db.objectStoreNames.contains("known")) db.createObjectStore("known", { keyPath: "id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
      request.onblocked = function () { reject(new Error("IndexedDB blocked")); };
    });
    return dbPromise;
  }

  function tx(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode), result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        result = work(t.objectStore(store));
        if (result && typeof result === "object" && "onsuccess" in result) {
          var req = result;
          req.onsuccess = function () { result = req.result; };
        }
      });
    });
  }

  function valid(op) {
    return op && typeof op === "object" && KINDS[op.kind] && typeof op.url === "string" &&
      typeof op.op_id === "string" && typeof op.user === "string" &&
      (op.kind.indexOf("photo") < 0 || op.blob instanceof Blob);
  }

  /* Every operation, oldest first; damaged ones marked {corrupt: true}. */
  function all() {
    return tx("ops", "readonly", function (s) { return s.getAll(); }).then(function (ops) {
      return (ops || []).map(function (op) {
        if (!valid(op)) return { seq: op && op.seq, corrupt: true, state: "corrupt", raw: safeText(op), user: op && op.user };
        return op;
      });
    });
  }

  function safeText(value) {
    try { return JSON.stringify(value).slice(0, 300); } catch (e) { return String(value); }
  }

  function put(op) { return tx("ops", "readwrite", function (s) { return s.put(op); }); }
  /* The outcome of a send, written back only if the change is still there: one discarded
   * on the queue page while it was being sent stays discarded (never sent again). */
  function putBack(op) {
    return tx("ops", "readwrite", function (s) {
      var req = s.get(op.seq);
      req.onsuccess = function () { if (req.result) s.put(op); };
    });
  }
  function remove(seq) { return tx("ops", "readwrite", function (s) { s.delete(seq); }); }

  function sameKey(a, b) { return a.inspection === b.inspection && a.key === b.key && a.user === b.user; }

  /* Whether change ``op`` was made on an answer whose content is ``body`` (``op.on``: the
   * JSON the card showed when the change was made). Only then may it replace a waiting
   * change or go onto that answer's revision: a change from another tab opened before
   * (one phone, two tabs) was made on older content and goes to the server as it is, where
   * a difference is a conflict to choose, never a silent loss. Changes that do not say
   * (item changes) are taken as made on it. */
  function madeOn(op, body) {
    return op.on === undefined || op.on === null || op.on === JSON.stringify(body === undefined ? {} : body);
  }

  /* A change without a photo is also written at once to localStorage (synchronous, where
   * IndexedDB is not): made as the page is left (a note typed, then a link, a reload or
   * "back" within the typing pause), it is found there by the next page, which moves it
   * into the queue (drain). Taken out once IndexedDB has it. */
  var OUTBOX = "inspect-outbox";
  function outbox(op, keep) {
    try {
      var box = JSON.parse(localStorage.getItem(OUTBOX) || "{}");
      if (!op) return box;
      if (keep) box[op.op_id] = op; else delete box[op.op_id];
      localStorage.setItem(OUTBOX, JSON.stringify(box));
    } catch (e) { return {}; }  // private mode, full: IndexedDB alone, as before
  }
  function drain() {
    var box = outbox();
    return all().then(function (ops) {
      return Object.keys(box).reduce(function (done, id) {
        var op = box[id];  // already in, or a change of the same answer made since: forgotten
        var there = ops.some(function (o) { return o.op_id === id || (op.key && sameKey(o, op) && o.created >= op.created); });
        return done.then(function () { return there ? outbox(op) : add(op); });
      }, Promise.resolve());
    });
  }

  /* Add a change. An answer that has not left the phone yet is replaced by the newer one
   * of the same criterion made on it (one request instead of many while typing offline). */
  function add(op) {
    op.user = op.user || pageUser;
    op.op_id = op.op_id || uuid();
    op.state = "waiting"; op.attempts = 0; op.created = new Date().toISOString();
    if (!op.blob) outbox(op, true);
    return all().then(function (ops) {
      var superseded = [];
      if (op.kind === "answer") {
        // A PUT replaces the whole answer: a refused earlier answer of the same criterion
        // is corrected by this one, not kept beside it.
        // so is one in conflict: the newer answer is what the user wants now
        superseded = ops.filter(function (o) { return o.kind === "answer" && (o.state === "refused" || o.state === "conflict") && sameKey(o, op); });
      }
      superseded.forEach(function (o) { remove(o.seq); });
      // Only answers: a PUT sends the whole answer, so the newer one says all. An item
      // change is partial and a progress note adds one each time: each is kept and sent.
      if (op.kind === "answer") {
        var last = ops.filter(function (o) { return !o.corrupt && o.kind === op.kind && sameKey(o, op); }).pop();
        if (last && last.state === "waiting" && !last.attempts && madeOn(op, last.body)) {
          last.body = op.body; last.created = op.created;
          return put(last).then(function () { return last; });
        }
      }
      return put(op).then(function (seq) { op.seq = seq; return op; });
    }).then(function (saved) {
      outbox(op);
      emit({ type: "change" });
      flush();
      return saved;
    });
  }

  function discard(seq) {
    return remove(seq).then(function () { emit({ type: "change" }); emit({ type: "discarded", seq: seq }); });
  }

  /* What the server last said about a criterion or item: {rev, content}. */
  function knownId(user, inspection, key) { return [user, inspection, key].join("\u0001"); }
  function known(inspection, key) {
    return tx("known", "readonly", function (s) { return s.get(knownId(pageUser, inspection, key)); });
  }
  /* ``from``: the revision this user's own acknowledged answers started from. Every
   * revision from it up to ``rev`` is theirs, so an answer made on any of them (a second
   * tap sent before the first one's reply reached the page) goes onto ``rev``. */
  function remember(op, rev, content, photo) {
    var id = knownId(op.user, op.inspection, op.key);
    return tx("known", "readwrite", function (s) {
      var req = s.get(id);
      req.onsuccess = function () {
        var old = req.result || {};
        var from = rev;
        if (op.kind === "answer" && op.base_rev !== undefined && op.base_rev !== null) {
          from = old.rev === op.base_rev && old.from !== undefined ? old.from : op.base_rev;
        }
        // ``photos``: the photos this phone sent, shown again on a page kept before them
        var photos = (old.photos || []).slice();
        if (photo && photos.indexOf(photo) < 0) photos.push(photo);
        s.put({ id: id, rev: rev, from: from, content: content === undefined ? old.content : content,
                photos: photos, at: Date.now() });
      };
    });
  }

  /* An answer made on one of this user's own revisions is sent on the newest of them. */
  function onOwnLatest(op) {
    if (op.kind !== "answer" || op.base_rev === undefined || op.base_rev === null) return Promise.resolve();
    return tx("known", "readonly", function (s) { return s.get(knownId(op.user, op.inspection, op.key)); })
      .then(function (k) {
        if (k && k.from !== undefined && k.from <= op.base_rev && op.base_rev < k.rev &&
            madeOn(op, k.content)) op.base_rev = k.rev;
      });
  }

  /* The operations of the user of this page (optionally of one inspection). */
  function mine(inspection) {
    return ready.then(all).then(function (ops) {
      return ops.filter(function (op) {
        return op.user === pageUser && (!inspection || op.inspection === inspection);
      });
    });
  }

  /* ---------------------------------------------------------------- sending */

  function schedule() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; delay = Math.min(delay * 2, 30000); flush(); }, delay);
  }

  function session() {
    return fetch(sessionUrl, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("session " + r.status); return r.json(); })
      .then(function (s) { lastSession = s; return s; });
  }

  /* ms a send may take: ``seconds`` (INSPECT_QUEUE_SEND_TIMEOUT_SECONDS, from /app/session)
   * for its reply, after ``bytes`` went up at 10 KB/s: a photo still going up on a weak
   * uplink is no reply that has not come. */
  function sendWait(seconds, bytes) { return 1000 * seconds + bytes / 10; }

  function request(op, csrf) {
    var init = { method: op.method, credentials: "same-origin",
                 headers: { "X-CSRFToken": csrf, "Accept": "application/json" } };
    if (op.blob) {
      var data = new FormData();
      data.append("photo", op.blob, "photo.jpg");
      data.append("op_id", op.op_id);
      Object.keys(op.fields || {}).forEach(function (k) { data.append(k, op.fields[k]); });
      init.body = data;
    } else {
      init.headers["Content-Type"] = "application/json";
      var payload = Object.assign({ op_id: op.op_id }, op.body || {});
      if (op.base_rev !== undefined && op.base_rev !== null) payload.base_rev = op.base_rev;
      init.body = JSON.stringify(payload);
    }
    // A reply that never comes (weak 3G: the request reached the server, the answer was
    // lost) must not hold the queue for good: after SEND_TIMEOUT the send counts as
    // failed and is made again with the same op_id, which the server answers once.
    var wait = sendWait(Number(lastSession && lastSession.send_timeout) || 25, op.blob ? op.blob.size : 0);
    if (window.AbortSignal && AbortSignal.timeout) init.signal = AbortSignal.timeout(wait);
    return fetch(op.url, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  /* A refused photo of a remediation item never takes the note typed with it along: the
   * note goes to the item's next waiting change (the status it is evidence for) if that
   * has no note of its own, else waits as a note of its own, right after the photo (seq
   * + 0.5: before what was made later); the photo stays refused, alone. */
  function handNote(op) {
    var note = op.kind === "item_photo" && op.fields && op.fields.note;
    if (!note) return Promise.resolve();
    return all().then(function (ops) {
      if (!ops.some(function (o) { return o.seq === op.seq; })) return;  // discarded while sent: its note too
      delete op.fields.note;
      var next = ops.filter(function (o) {
        return !o.corrupt && o.seq > op.seq && o.kind === "item" && sameKey(o, op) && o.state === "waiting";
      })[0];
      if (next && !(next.body || {}).progress_note) {
        next.body = Object.assign({}, next.body, { progress_note: note });
        return put(next);
      }
      return add({ seq: op.seq + 0.5, kind: "item", user: op.user, inspection: op.inspection, key: op.key, method: "PATCH",
                   url: op.url.replace(/\/photos$/, ""), body: { progress_note: note },
                   label: op.label, where: op.where, page: op.page });
    });
  }

  /* After op succeeded with rev: the next waiting op of the same criterion/item was made
   * on the revision before this one, so it is moved onto the new one — unless someone
   * else wrote in between (rev is not op's base_rev + 1): then it goes as it was made, and
   * a difference is a conflict to choose, never their change overwritten. */
  function rebase(op, rev) {
    return all().then(function (ops) {
      var next = ops.filter(function (o) { return !o.corrupt && o.seq > op.seq && sameKey(o, op) && o.kind !== "photo" && o.kind !== "item_photo"; })[0];
      var base = op.base_rev !== undefined && op.base_rev !== null ? op.base_rev : next && next.base_rev;  // a photo: what next was made on
      var direct = base === undefined || base === null || rev === base + 1;
      // a photo leaves the answer's content as it was: what follows it goes onto its revision
      if (next && direct && rev !== undefined && rev !== null && (op.kind === "photo" || madeOn(next, op.body))) {
        next.base_rev = rev; return put(next);
      }
    });
  }

  function sendOne(op, s) {
    op.state = "sending"; op.attempts = (op.attempts || 0) + 1;
    return put(op).then(function () {
      emit({ type: "sending", op: op });
      return onOwnLatest(op);
    }).then(function () {
      return request(op, s.csrf_token);
    }).then(function (result) {
      var status = result.status, data = result.data;
      if (status >= 200 && status < 300) {
        return remove(op.seq).then(function () {
          var rev = data.rev;
          var kept = op.kind === "answer" ? remember(op, rev, op.body)
            : op.kind === "photo" ? remember(op, rev, undefined, data.photo && data.photo.id) : null;
          return Promise.all([rebase(op, rev), kept]);
        }).then(function () { emit({ type: "done", op: op, data: data, status: status }); return "next"; });
      }
      if (status === 401) {  // the session ended (or must change its password): all of it waits
        op.state = "waiting"; return putBack(op).then(function () { return loginNeeded(); }).then(function () { return "stop"; });
      }
      if (status === 400 && /csrf/i.test(data.error || "") && op.attempts < 3) {
        op.state = "waiting"; return putBack(op).then(function () { return "session"; });
      }
      if (status === 409 && data.current) {
        op.state = "conflict"; op.current = data.current; op.error = data.error || "";
        return putBack(op).then(function () { emit({ type: "conflict", op: op, data: data }); return "next"; });
      }
      if (status >= 400 && status < 500) {
        op.state = "refused"; op.status = status; op.error = data.error || String(status);
        return handNote(op).then(function () { return putBack(op); })
          .then(function () { emit({ type: "refused", op: op, data: data }); return "next"; });
      }
      op.state = "waiting"; op.error = "";
      return putBack(op).then(function () { emit({ type: "retry", op: op }); return "retry"; });
    }, function () {
      op.state = "waiting";
      return putBack(op).then(function () { emit({ type: "retry", op: op }); return "retry"; });
    });
  }

  /* Nobody (or someone else) is logged in: every change of this page's user waits, and
   * each one's card says "log in again" (then the bar, with no op, says it too). */
  function loginNeeded() {
    return mine().then(function (ops) {
      ops.forEach(function (op) {
        if (!op.corrupt && (op.state === "waiting" || op.state === "sending")) emit({ type: "login", op: op });
      });
      emit({ type: "login" });
    });
  }

  function run() {
    return session().then(function (s) {
      if (!s.user) return loginNeeded();
      // another user logged in on this phone meanwhile: theirs are sent, this page's wait
      var others = s.user !== pageUser ? loginNeeded() : Promise.resolve();
      var sent = 0;
      var loop = function () {
        return all().then(function (ops) {
          var op = ops.filter(function (o) {
            return !o.corrupt && o.user === s.user && (o.state === "waiting" || o.state === "sending");
          })[0];
          if (!op) { delay = 2000; emit({ type: "drained", sent: sent }); return; }
          return sendOne(op, s).then(function (outcome) {
            if (outcome === "next") { sent += 1; delay = 2000; return loop(); }
            if (outcome === "session") return session().then(function (fresh) { s = fresh; return fresh.user === op.user ? loop() : null; });
            if (outcome === "retry") schedule();
          });
        });
      };
      return others.then(loop);
    }, function () { schedule(); });
  }

  function flush() {
    if (running) { again = true; return Promise.resolve(); }
    if (!pageUser) return Promise.resolve();
    running = true;
    var work = function () { return run(); };
    var go = navigator.locks && navigator.locks.request ? navigator.locks.request("inspect-queue", work) : work();
    return Promise.resolve(go).catch(function () { /* reported through events */ }).then(function () {
      running = false;
      emit({ type: "change" });
      if (again) { again = false; return flush(); }
    });
  }

  window.addEventListener("online", function () { delay = 2000; clearTimeout(timer); timer = null; flush(); });

  /* A box the user answered (a conflict) is gone: focus goes back to the field it was about
   * (its chosen option first), never to the page itself, where a keyboard or screen-reader
   * user would be lost. */
  function refocus(el) {
    var fields = el.querySelectorAll("input:checked, input:not([type=hidden]), select, textarea");
    for (var i = 0; i < fields.length; i++) {
      fields[i].focus();  // a field in a closed fold-out cannot take it: the next one
      if (document.activeElement === fields[i]) return;
    }
    el.tabIndex = -1; el.focus();
  }

  window.InspectQueue = {
    user: pageUser, uuid: uuid, downscale: downscale, refocus: refocus, sendWait: sendWait,
    add: add, all: all, mine: mine, discard: discard, flush: flush, known: known,
    put: put, open: open,
    on: function (fn) { listeners.push(fn); },
    session: function () { return lastSession; },
    sendNow: function (seq) {
      return all().then(function (ops) {
        var op = ops.filter(function (o) { return o.seq === seq; })[0];
        if (!op || (op.state !== "refused" && op.state !== "conflict")) return;
        // "send now" on a conflict keeps mine: sent on top of the revision the server holds
        if (op.state === "conflict" && op.current && op.current.rev !== undefined) op.base_rev = op.current.rev;
        op.state = "waiting"; op.attempts = 0;
        return put(op);
      }).then(function () { delay = 2000; clearTimeout(timer); timer = null; return flush(); });
    }
  };

  // what a page left in the outbox joins the queue before a page reads this user's changes
  var ready = pageUser ? open().then(drain).then(function () { flush(); }, function () { emit({ type: "no_storage" }); })
    : Promise.resolve();
})();

/* ================================================================ every page
 * The service worker, the queue badge and offline mark, keeping an open inspection on the
 * phone, the refusal to finalize while its changes wait, the queue page, and images drawn
 * only when their box is opened (the join QR code). One file with the queue above: every
 * page needs both, and one request less counts on 3G. */
(function () {
  "use strict";

  var body = document.body;
  var Q = window.InspectQueue;
  var i18n = {};
  try { i18n = JSON.parse(body.dataset.queueI18n || "{}"); } catch (e) { i18n = {}; }
  function t(key, count) { return (i18n[key] || key).replace("%(count)s", count); }
  if (Q) Q.t = t;  // the texts of the queue, for the queue page (queue_page.js)

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

  var PAGES_CACHE = "pages-v1";  // the service worker's cache of kept pages (sw.js)
  var inspection = (location.pathname.match(/\/inspections\/([A-Za-z0-9_-]+)(\/|$)/) || [])[1];
  if (inspection === "new") inspection = null;
  /* Every page of this inspection that the page links to, its review and overview and its
   * JSON (and this page itself unless it is kept already): the service worker keeps
   * them, so the whole inspection opens offline. */
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

  /* The worker asked to keep the pack: the one in control of this page or, when this page
   * is not controlled (loaded while the worker was still installing and the claim missed
   * it, or a hard reload), the active one, which serves the next navigation all the same. */
  var activeWorker = null;

  function prefetch(force) {
    var sw = navigator.serviceWorker && (navigator.serviceWorker.controller || activeWorker);
    var urls = offlinePack();
    if (!sw || !urls.length || !navigator.onLine) return;
    // This page is in the pack unless the worker kept it on the way (not so when it was
    // loaded before the worker took control, a first visit, or when keeping it failed).
    caches.match(location.pathname, { ignoreVary: true }).then(function (hit) { return hit; }, function () { return null; })
      .then(function (hit) {
        sw.postMessage({ type: "prefetch", inspection: inspection, urls: hit ? urls : urls.concat([location.pathname]),
                         force: !!force, user: body.dataset.user });
      });
  }

  /* A shared phone: pages kept for the user before (whose session ended without logging
   * out) are shown to nobody else. The first page of another user forgets them; what
   * waits in the queue stays, sent when its user logs in again. */
  function forgetOthersPages() {
    var user = body.dataset.user, owner;
    if (!user || !window.caches) return Promise.resolve();
    try { owner = localStorage.getItem("inspect-pages-owner"); localStorage.setItem("inspect-pages-owner", user); } catch (e) { /* private mode */ }
    return owner === user ? Promise.resolve() : caches.delete(PAGES_CACHE);  // a first visit: none kept
  }

  if ("serviceWorker" in navigator && body.dataset.sw) {
    var forgotten = forgetOthersPages();
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope || "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      activeWorker = registration.active;
      return forgotten;
    }).then(function () {
      prefetch(false);
    }).catch(function () { /* no service worker (private mode, http): pages still work online */ });
  }

  /* Saved online since this page was loaded: on leaving it, the copies that count the
   * answers (the overview, the review) and this page itself are kept again, so that
   * opened offline later they show what the server has (not the whole pack: weak data). */
  var sentHere = false;
  function keepWhatChanged() {
    var sw = navigator.serviceWorker && (navigator.serviceWorker.controller || activeWorker);
    if (!sentHere || !sw || !navigator.onLine) return;
    sentHere = false;
    var urls = [location.pathname];
    if (inspection) {
      var own = (body.dataset.inspectionsBase || "/inspections/") + inspection;
      urls.push(own, own + "/review");
    } else if (body.dataset.plans) {
      urls.push(body.dataset.plans);  // an item's page: the plan that lists it, too
    }
    sw.postMessage({ type: "prefetch", inspection: inspection || "", urls: urls,
                     force: true, user: body.dataset.user, partial: true });
  }
  window.addEventListener("pagehide", keepWhatChanged);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") keepWhatChanged();
  });

  /* ---------------------------------------------------------------- badge and offline mark */

  var badge = document.querySelector("[data-role=queue-badge]");
  var offlineMark = document.querySelector("[data-role=offline-mark]");

  function refresh() {
    if (offlineMark) offlineMark.hidden = navigator.onLine;
    if (!Q || !Q.user) return;
    Q.mine().then(function (ops) {
      if (badge) {
        var bad = ops.filter(function (op) { return op.state !== "waiting" && op.state !== "sending"; }).length;
        var waiting = ops.length - bad;  // what cannot go by itself said in words, not by colour alone
        badge.hidden = !ops.length;
        badge.textContent = bad ? (waiting ? t("badge", waiting) + " · " : "") + t("badge_bad", bad) : t("badge", waiting);
        badge.classList.toggle("bad", !!bad);
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
      if (event.type === "done" && event.op && (event.op.inspection === inspection
                                                || event.op.page === location.pathname)) sentHere = true;
      // after changes made offline reached the server: keep pages that show them
      if (event.type === "drained" && event.sent && wasOffline) { wasOffline = false; prefetch(true); }
      if (event.type === "no_storage") warn(t("no_storage"));
    });
  }
  var wasOffline = !navigator.onLine;
  window.addEventListener("online", refresh);
  window.addEventListener("offline", function () { wasOffline = true; refresh(); });

  /* A form posted while offline ends on the browser's error page, and what was typed in it
   * with it: said at the form instead, nothing sent, nothing cleared. The forms whose
   * changes the queue carries stop their own post before this runs. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || navigator.onLine || !form.method || form.method.toLowerCase() !== "post") return;
    event.preventDefault();
    var note = form.querySelector("[data-role=needs-network]");
    if (!note) {
      note = document.createElement("p");
      note.className = "error"; note.setAttribute("role", "alert"); note.setAttribute("data-role", "needs-network");
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = t("needs_network");
  });

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
      if (done || !window.caches || !navigator.onLine) return;  // offline: the guard above says so, nothing forgotten
      event.preventDefault();
      var go = function () { done = true; form.submit(); };
      caches.delete(PAGES_CACHE).then(go, go);
    });
  });

  refresh();
})();
