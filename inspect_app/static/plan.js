/* Progress on remediation items (DESIGN §7), progressive enhancement of the plain forms.
 *
 * A progress form (class "item-form") becomes an operation {op_id, base_rev, change} sent
 * with PATCH /api/v1/remediation/<item>. Operations wait in localStorage until the server
 * answers, so a dropped network or a closed page loses nothing; a retry re-sends the same
 * op_id, so a note is never added twice. A photo is sent first (POST …/photos, kept in
 * memory and retried while the page is open), then the status change. A 409 with the
 * current item shows "changed by someone else" instead of overwriting it.
 */
(function () {
  "use strict";

  var forms = document.querySelectorAll("form.item-form");
  if (!forms.length) return;
  document.documentElement.classList.add("js");
  var holder = document.querySelector("[data-plan-i18n]");
  var i18n = holder ? JSON.parse(holder.dataset.planI18n || "{}") : {};
  var csrf = forms[0].querySelector("input[name=csrf_token]").value;
  var queueKey = "inspect-plan-queue";
  var retry = InspectOffline.retrier(function () { flush(); });
  var photoUploads = 0;
  var byItem = {};  // item id -> the forms of that item on this page

  function t(key) { return i18n[key] || key; }

  var uuid = InspectOffline.uuid;

  /* ---------------------------------------------------------------- the persistent queue */

  function loadQueue() { return InspectOffline.loadQueue(queueKey); }
  var queue = loadQueue();  // item id -> {api, inflight: op|null, next: change|null}
  function saveQueue() {
    var plain = {};
    Object.keys(queue).forEach(function (id) {
      var slot = queue[id];
      plain[id] = { api: slot.api, inflight: slot.inflight, next: slot.next };
    });
    InspectOffline.saveQueue(queueKey, plain);
  }
  function pendingCount() {
    return Object.keys(queue).filter(function (id) { return queue[id].inflight || queue[id].next; }).length + photoUploads;
  }

  /* ---------------------------------------------------------------- showing state */

  function setState(form, key, cls, text) {
    var out = form && form.querySelector("[data-role=state]");
    if (!out) return;
    out.textContent = text || (key ? t(key) : "");
    out.className = "save-state" + (cls ? " " + cls : "");
  }

  function showNet() {
    var n = pendingCount();
    document.querySelectorAll("[data-role=net]").forEach(function (net) {
      if (!navigator.onLine && n) net.textContent = t("offline");
      else if (n) net.textContent = t("pending").replace("%(count)s", n);
      else net.textContent = "";
      net.className = "net-state" + (n ? " pending" : "");
    });
  }

  function formsOf(itemId) { return byItem[itemId] || []; }

  function setRev(itemId, rev) {
    document.querySelectorAll("[data-rev-of]").forEach(function (input) {
      if (input.dataset.revOf === itemId) input.value = String(rev);
    });
    formsOf(itemId).forEach(function (form) { form._config.rev = rev; });
  }

  function showItem(itemId, item) {
    setRev(itemId, item.rev);
    document.querySelectorAll("[data-item]").forEach(function (el) {
      if (el.dataset.item !== itemId) return;
      var tag = el.querySelector("[data-role=status]");
      if (tag) {
        tag.textContent = t("status_" + item.status);
        tag.className = tag.className.replace(/\bstatus-(?!tag)\S+/g, "") + " status-" + item.status;
      }
      el.className = el.className.replace(/\bstatus-\S+/g, "") + " status-" + item.status;
    });
    formsOf(itemId).forEach(function (form) {
      if (form.classList.contains("quick") && item.status !== "open") form.hidden = true;
      form.querySelectorAll("input[type=radio][name=status]").forEach(function (radio) {
        radio.checked = radio.defaultChecked = radio.value === item.status;
      });
      var shown = form.querySelector("input[name=shown_status]");
      if (shown) shown.value = item.status;
    });
  }

  function addNote(form, item) {
    var list = document.querySelector("[data-role=notes]");
    var note = item.progress && item.progress[item.progress.length - 1];
    if (!list || !note) return;
    var li = document.createElement("li");
    li.className = "note-entry";
    var meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = new Date(note.at).toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "vi-VN") + " · " + note.by;
    li.appendChild(meta);
    if (note.note) { var p = document.createElement("p"); p.textContent = note.note; li.appendChild(p); }
    if (note.photos && note.photos.length) {
      var photos = document.createElement("div");
      photos.className = "photos";
      note.photos.forEach(function (id) {
        var url = form._config.photo_base.replace("__PHOTO__", id);
        var figure = document.createElement("figure"); figure.className = "thumb";
        var link = document.createElement("a"); link.href = url;
        var img = document.createElement("img"); img.src = url + "?variant=thumb"; img.alt = ""; img.width = 96; img.height = 72;
        link.appendChild(img); figure.appendChild(link); photos.appendChild(figure);
      });
      li.appendChild(photos);
    }
    list.insertBefore(li, list.firstChild);
    var empty = document.querySelector("[data-role=no-notes]");
    if (empty) empty.remove();
  }

  function showConflict(form, current, change) {
    var old = form.querySelector(".conflict");
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "conflict"; box.setAttribute("role", "alert");
    var title = document.createElement("p");
    var strong = document.createElement("strong"); strong.textContent = t("conflict_title");
    title.appendChild(strong);
    var now = document.createElement("p");
    now.textContent = t("theirs") + " " + t("status_" + current.status) + (current.owner ? " · " + current.owner : "") + (current.due ? " · " + current.due : "");
    var reload = document.createElement("button");
    reload.type = "button"; reload.className = "button secondary"; reload.textContent = t("take_theirs");
    var again = document.createElement("button");
    again.type = "button"; again.className = "button"; again.textContent = t("keep_mine");
    var actions = document.createElement("div"); actions.className = "actions";
    actions.appendChild(reload); actions.appendChild(again);
    box.appendChild(title); box.appendChild(now); box.appendChild(actions);
    form.insertBefore(box, form.firstChild.nextSibling);
    reload.addEventListener("click", function () { location.reload(); });
    again.addEventListener("click", function () {
      box.remove();
      setRev(form._config.item, current.rev);
      enqueue(form, change);
    });
  }

  /* ---------------------------------------------------------------- sending changes */

  function changeOf(form) {
    var change = {};
    // A status is sent only when the user chose it: an untouched choice never reverts a
    // change someone else made meanwhile (the one-tap forms carry theirs in a hidden field).
    var hidden = form.querySelector("input[type=hidden][name=status]");
    var checked = form.querySelector("input[name=status]:checked");
    if (hidden && hidden.value) change.status = hidden.value;
    else if (checked && !checked.defaultChecked) change.status = checked.value;
    var note = form.querySelector("[name=progress_note]");
    if (note && note.value.trim()) change.progress_note = note.value.trim();
    var reason = form.querySelector("[name=reason]");
    if (reason && (reason.value.trim() || reason.defaultValue.trim())) change.reason = reason.value.trim();
    return change;
  }

  function enqueue(form, change) {
    var id = form._config.item;
    var slot = queue[id] || (queue[id] = { api: form._config.api, inflight: null, next: null });
    if (slot.inflight) slot.next = change;  // sent after the one in flight returns
    else slot.inflight = { op_id: uuid(), base_rev: form._config.rev, change: change };
    saveQueue();
    setState(form, "saving", "pending");
    showNet();
    if (!slot.busy) send(id);
  }

  function send(id) {
    var slot = queue[id];
    if (!slot || !slot.inflight) return;
    var op = slot.inflight;
    slot.busy = true;
    var body = Object.assign({ op_id: op.op_id, base_rev: op.base_rev }, op.change);
    fetch(slot.api, {
      method: "PATCH", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        slot.busy = false;
        handle(id, slot, op, response.status, data);
      });
    }).catch(function () {
      slot.busy = false;
      formsOf(id).forEach(function (form) { setState(form, navigator.onLine ? "retrying" : "offline", "pending"); });
      retry.schedule();
      showNet();
    });
  }

  function done(id) {
    delete queue[id];
    saveQueue();
  }

  function handle(id, slot, op, status, data) {
    var form = formsOf(id).filter(function (f) { return !f.classList.contains("quick"); })[0] || formsOf(id)[0];
    if (status === 200 || status === 201) {
      retry.ok();
      showItem(id, data);
      if (form && op.change.progress_note) addNote(form, data);
      slot.inflight = null;
      if (slot.next) {
        slot.inflight = { op_id: uuid(), base_rev: data.rev, change: slot.next };
        slot.next = null;
        saveQueue();
        send(id);
      } else {
        done(id);
        if (form) setState(form, "saved", "ok");
      }
    } else if (status === 409 && data.current) {
      done(id);
      if (form) { setState(form, null); showConflict(form, data.current, op.change); }
    } else if (status === 401) {
      if (form) setState(form, "login_again", "bad");  // kept: sent after logging in again
    } else if (status >= 400 && status < 500) {
      done(id);
      if (form) setState(form, null, "bad", data.error || t("not_saved"));
    } else {
      if (form) setState(form, "retrying", "pending");
      retry.schedule();
    }
    showNet();
  }

  function flush() {
    Object.keys(queue).forEach(function (id) {
      var slot = queue[id];
      if (slot.inflight && !slot.busy) send(id);
    });
    showNet();
  }

  /* ---------------------------------------------------------------- photos */

  var downscale = InspectOffline.downscale;

  /* The photo and the note go together as one progress note; then() gets the item. */
  function uploadPhoto(form, file, note) {
    var opId = uuid();
    photoUploads += 1;
    setState(form, "photo_uploading", "pending");
    showNet();
    return downscale(file, 1600).then(function (blob) {
      return new Promise(function (resolve, reject) {
        var attempt = function (delay) {
          var data = new FormData();
          data.append("photo", blob, "photo.jpg");
          data.append("op_id", opId);
          if (note) data.append("note", note);
          fetch(form._config.photo_api, {
            method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf, "Accept": "application/json" }, body: data
          }).then(function (response) {
            return response.json().catch(function () { return {}; }).then(function (result) {
              if (response.status === 201 || response.status === 200) {
                photoUploads -= 1; showNet(); resolve(result);
              } else if (response.status >= 500) {
                setTimeout(function () { attempt(Math.min(delay * 2, 30000)); }, delay);
              } else {
                photoUploads -= 1; showNet(); reject(result.error || t("not_saved"));
              }
            });
          }).catch(function () {
            setState(form, "offline", "pending");
            setTimeout(function () { attempt(Math.min(delay * 2, 30000)); }, delay);
          });
        };
        attempt(2000);
      });
    });
  }

  /* ---------------------------------------------------------------- wiring */

  forms.forEach(function (form) {
    form._config = JSON.parse(form.dataset.config);
    (byItem[form._config.item] = byItem[form._config.item] || []).push(form);
    var fileInput = form.querySelector("input[type=file]");
    var fileName = form.querySelector("[data-role=photo-name]");
    if (fileInput && fileName) {
      fileInput.addEventListener("change", function () {
        fileName.textContent = fileInput.files.length ? fileInput.files[0].name : "";
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var change = changeOf(form);
      var file = fileInput && fileInput.files && fileInput.files[0];
      var reset = function () {
        var note = form.querySelector("[name=progress_note]");
        if (note) note.value = "";
        if (fileInput) fileInput.value = "";
        if (fileName) fileName.textContent = "";
      };
      if (!file) { enqueue(form, change); reset(); return; }
      var note = change.progress_note;
      delete change.progress_note;  // it goes with the photo
      uploadPhoto(form, file, note).then(function (item) {
        showItem(form._config.item, item);
        addNote(form, item);
        var rest = Object.keys(change).some(function (k) { return change[k] !== item[k]; });
        if (rest) enqueue(form, change); else setState(form, "saved", "ok");
      }, function (message) { setState(form, null, "bad", message); });
      reset();
    });
  });

  window.addEventListener("online", function () { retry.ok(); flush(); });
  window.addEventListener("offline", showNet);
  window.addEventListener("beforeunload", function (event) {
    if (photoUploads > 0) { event.preventDefault(); event.returnValue = ""; }
  });
  flush();
})();
