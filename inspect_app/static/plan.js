/* Progress on remediation items (DESIGN §7), progressive enhancement of the plain forms.
 *
 * A progress form (class "item-form") becomes an operation {op_id, base_rev, change} for
 * PATCH /api/v1/remediation/<item>. It waits in the phone's one queue (static/queue.js,
 * IndexedDB) until the server has it, so a dropped network or a closed page loses nothing;
 * a retry re-sends the same op_id, so a note is never added twice. A photo is queued first
 * (its blob, POST …/photos), then the status change. A 409 with the current item shows
 * "changed by someone else" instead of overwriting it.
 */
(function () {
  "use strict";

  var forms = document.querySelectorAll("form.item-form");
  if (!forms.length) return;
  document.documentElement.classList.add("js");
  var holder = document.querySelector("[data-plan-i18n]");
  var i18n = holder ? JSON.parse(holder.dataset.planI18n || "{}") : {};
  var Q = window.InspectQueue;
  var byItem = {};  // item id -> the forms of that item on this page
  var pending = 0;  // operations of this page's items still in the queue

  function t(key) { return i18n[key] || key; }

  function inspectionOf(form) { return form._config.inspection || ""; }

  /* ---------------------------------------------------------------- showing state */

  function setState(form, key, cls, text) {
    var out = form && form.querySelector("[data-role=state]");
    if (!out) return;
    out.textContent = text || (key ? t(key) : "");
    out.className = "save-state" + (cls ? " " + cls : "");
  }

  function showNet() {
    var n = pending;
    document.querySelectorAll("[data-role=net]").forEach(function (net) {
      if (!navigator.onLine && n) net.textContent = t("offline");
      else if (n) net.textContent = t("pending").replace("%(count)s", n);
      else net.textContent = "";
      net.className = "net-state" + (n ? " pending" : "");
    });
  }

  function formsOf(itemId) { return byItem[itemId] || []; }

  function edited(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      if (el.type === "hidden" || el.type === "submit" || el.type === "button" || el.type === "file") return false;
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      if (el.tagName === "SELECT") return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      return el.value !== el.defaultValue;
    });
  }

  /* The item is now at ``rev`` (``item``: as the server sent it). A form this script does
   * not send (the plan columns) shows values of the revision it was loaded at: it moves
   * on only while nobody typed in it, its boxes refreshed from ``item``; typed in, it keeps
   * its revision, so that saving it is a conflict if someone changed the item meanwhile,
   * never a silent return of the old values. */
  function setRev(itemId, rev, item) {
    document.querySelectorAll("[data-rev-of]").forEach(function (input) {
      if (input.dataset.revOf !== itemId) return;
      var form = input.form;
      if (form && !form.classList.contains("item-form") && form.id !== "review") {
        if (edited(form)) return;
        if (item) Array.prototype.forEach.call(form.elements, function (el) {
          if (el.name && el.type !== "hidden" && Object.prototype.hasOwnProperty.call(item, el.name)) {
            el.value = el.defaultValue = item[el.name] == null ? "" : String(item[el.name]);
          }
        });
      }
      input.value = String(rev);
    });
    formsOf(itemId).forEach(function (form) { form._config.rev = rev; });
  }

  function showItem(itemId, item) {
    setRev(itemId, item.rev, item);
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
      if (form.classList.contains("quick") && item.status !== "open") {
        // the one tap is done: its card's link (which reads the new status) keeps the focus
        var link = form.contains(document.activeElement) && form.closest("[data-item]").querySelector("a");
        form.hidden = true;
        if (link) link.focus();
      }
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
    var c = form._config, at = "";
    try {  // 07/04/2023 14:05 in the app's time zone, as the page writes it
      at = new Date(note.at).toLocaleString("en-GB", { timeZone: c.tz, day: "2-digit", month: "2-digit",
        year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).replace(",", "");
    } catch (e) { /* an unknown zone: no time rather than a wrong one */ }
    meta.textContent = at + " · " + (note.by === c.me ? c.my_name : note.by) + (note.status ? " · " : "");
    if (note.status) {
      var tag = document.createElement("span"); tag.className = "tag status-" + note.status;
      tag.textContent = t("status_" + note.status); meta.appendChild(tag);
    }
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
    return li;
  }

  /* A change still on the phone, shown as it was made (a page kept before it, reloaded
   * offline): its status chosen in the forms, its note in the list marked "saving…"
   * until the server has it (a photo's note too). */
  function showWaiting(form, op) {
    var change = op.body || { progress_note: op.fields && op.fields.note };
    formsOf(op.key).forEach(function (f) {
      var radio = change.status && f.querySelector("input[type=radio][name=status][value=" + change.status + "]");
      if (radio) radio.checked = true;
    });
    if (!change.progress_note) return;
    var li = addNote(form, { progress: [{ at: op.created, by: form._config.me, status: change.status, note: change.progress_note }] });
    if (!li) return;
    li.classList.add("unsent"); li.dataset.seq = op.seq;
    li.querySelector(".meta").appendChild(document.createTextNode(" · " + t("saving")));
  }

  function showConflict(form, current, change, seq) {
    var old = form.querySelector(".conflict");
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "conflict"; box.setAttribute("role", "alert");
    var title = document.createElement("p");
    var strong = document.createElement("strong"); strong.textContent = t("conflict_title");
    title.appendChild(strong);
    var now = document.createElement("p");
    now.textContent = t("theirs") + " " + t("status_" + current.status) + (current.owner ? " · " + current.owner : "") + (current.due ? " · " + current.due.split("-").reverse().join("/") : "");
    var reload = document.createElement("button");
    reload.type = "button"; reload.className = "button secondary"; reload.textContent = t("take_theirs");
    var again = document.createElement("button");
    again.type = "button"; again.className = "button"; again.textContent = t("keep_mine");
    var actions = document.createElement("div"); actions.className = "actions";
    actions.appendChild(reload); actions.appendChild(again);
    box.appendChild(title); box.appendChild(now); box.appendChild(actions);
    form.insertBefore(box, form.firstChild.nextSibling);
    // the queued change stays (state "conflict") until one of the two is chosen
    var forget = function () { return seq === undefined ? Promise.resolve() : Q.discard(seq); };
    reload.addEventListener("click", function () { forget().then(function () { location.reload(); }); });
    again.addEventListener("click", function () {
      box.remove(); Q.refocus(form);
      setRev(form._config.item, current.rev, current);
      forget().then(function () { inTurn(function () { return enqueue(form, change); }); });
    });
    return box;
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

  function label(form) {
    // the item page's forms stand after its article: the article of the same item
    var holder = form.closest("[data-item]") || document.querySelector("[data-item='" + CSS.escape(form._config.item) + "']");
    var title = holder && holder.querySelector("[data-role=finding], h1, h2, h3, strong");
    return title ? title.textContent.trim().slice(0, 120) : form._config.item;
  }

  function enqueue(form, change) {
    setState(form, "saving", "pending");
    return Q.add({
      kind: "item", inspection: inspectionOf(form), key: form._config.item, method: "PATCH",
      url: form._config.api, base_rev: form._config.rev, body: change, label: label(form),
      where: document.title.replace(/ · inspect_app$/, ""), page: location.pathname
    }).then(count, function () { setState(form, null, "bad", t("not_saved")); });
  }

  function count() {
    return Q.mine().then(function (ops) {
      pending = ops.filter(function (op) { return byItem[op.key] && (op.kind === "item" || op.kind === "item_photo"); }).length;
      showNet();
    }, function () {});
  }

  function mainForm(id) {
    return formsOf(id).filter(function (f) { return !f.classList.contains("quick"); })[0] || formsOf(id)[0];
  }

  Q.on(function (event) {
    var op = event.op;
    if (!op || !byItem[op.key] || (op.kind !== "item" && op.kind !== "item_photo")) {
      if (event.type === "change") count();
      return;
    }
    var id = op.key, form = mainForm(id), data = event.data || {};
    if (event.type === "done") {
      var unsent = document.querySelector(".note-entry.unsent[data-seq='" + op.seq + "']");
      if (unsent) unsent.remove();  // the server's note replaces it
      showItem(id, data);
      if (form && (op.kind === "item_photo" || (op.body && op.body.progress_note))) addNote(form, data);
      Q.mine().then(function (ops) {  // saved once nothing of this item waits any more
        var mine = ops.filter(function (o) { return o.key === id; });
        var bad = mine.filter(function (o) { return o.state === "refused" || o.state === "conflict"; })[0];
        var more = mine.some(function (o) { return o.state === "waiting" || o.state === "sending"; });
        if (!form) return;
        // never "saved" while another change of the item (a refused photo) is on the phone
        if (bad) setState(form, null, "bad", bad.error || t("not_saved"));
        else setState(form, more ? "saving" : "saved", more ? "pending" : "ok");
      });
    } else if (event.type === "conflict") {
      if (form) { setState(form, null); showConflict(form, op.current, op.body || {}, op.seq); }
    } else if (event.type === "login") {
      if (form) setState(form, "login_again", "bad");  // kept: sent after logging in again
    } else if (event.type === "refused") {
      if (form) setState(form, null, "bad", op.error || t("not_saved"));
    } else if (event.type === "retry") {
      if (form) setState(form, navigator.onLine ? "retrying" : "offline", "pending");
    }
    count();
  });

  /* Every change of this page joins the queue in the order it was made (docs/offline.md):
   * a photo being shrunk holds back what was made after it, as fill.js's ``picked``, and
   * while anything is held back leaving the page is too (it would be lost). */
  var turn = Promise.resolve(), held = 0;
  function release() { held -= 1; }
  function inTurn(work) {
    held += 1;
    var result = turn.then(work);
    turn = result.then(release, release);
    return result;
  }
  window.addEventListener("beforeunload", function (event) {
    if (held > 0) { event.preventDefault(); event.returnValue = ""; }
  });

  /* ---------------------------------------------------------------- photos */

  /* The photo and the note go together as one progress note. */
  function queuePhoto(form, file, note) {
    setState(form, "photo_uploading", "pending");
    return Q.downscale(file, 1600).then(function (blob) {
      return Q.add({
        kind: "item_photo", inspection: inspectionOf(form), key: form._config.item, method: "POST",
        url: form._config.photo_api, blob: blob, fields: note ? { note: note } : {},
        label: label(form), where: document.title.replace(/ · inspect_app$/, ""), page: location.pathname
      });
    }).then(count);
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
      setState(form, file ? "photo_uploading" : "saving", "pending");
      if (!file) { inTurn(function () { return enqueue(form, change); }); reset(); return; }
      var note = change.progress_note;
      delete change.progress_note;  // it goes with the photo (one progress note; refused, the
      inTurn(function () {  // queue hands it to the item: queue.js)
        return queuePhoto(form, file, note).then(function () {
          if (Object.keys(change).length) return enqueue(form, change);  // rebased on the photo's revision
        }, function () { setState(form, null, "bad", t("not_saved")); });
      });
      reset();
    });
  });

  window.addEventListener("online", showNet);
  window.addEventListener("offline", showNet);

  /* What the queue holds for this page's items, whichever page made or sent it. */
  Q.mine().then(function (ops) {
    ops.forEach(function (op) {
      var form = byItem[op.key] && mainForm(op.key);
      if (!form || (op.kind !== "item" && op.kind !== "item_photo")) return;
      if (op.state === "conflict") {
        showConflict(form, op.current, op.body || {}, op.seq);
      } else if (op.state === "refused") {
        setState(form, null, "bad", op.error || t("not_saved"));
      } else {
        setState(form, "saving", "pending");
        showWaiting(form, op);
      }
    });
  }, function () {});
  count();
})();
