/* Autosave of a checklist section (DESIGN §7), progressive enhancement of the plain form.
 *
 * Every change of a criterion becomes an operation {op_id, base_rev, content} sent with
 * PUT /api/v1/inspections/<id>/answers/<criterion>. Operations wait in localStorage until
 * the server answers, so closing the page or losing the network loses nothing; a retry
 * re-sends the same op_id, so nothing is saved twice. A 409 with the current answer shows
 * "changed by a team mate: theirs / mine" instead of overwriting it.
 */
(function () {
  "use strict";

  var form = document.getElementById("section-form");
  if (!form) return;
  document.documentElement.classList.add("js");
  var editable = form.dataset.editable === "true";
  var i18n = JSON.parse(form.dataset.i18n || "{}");
  var lang = document.documentElement.lang === "en" ? "en-US" : "vi-VN";
  var numberFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  var percentFormat = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var api = form.dataset.api;
  var queueKey = "inspect-queue-" + form.dataset.inspection;
  var netState = document.querySelector("[data-role=net]");
  var cards = {};
  var retry = InspectOffline.retrier(function () { flush(); });

  function t(key) { return i18n[key] || key; }

  var uuid = InspectOffline.uuid;

  /* ---------------------------------------------------------------- the persistent queue */

  function loadQueue() { return InspectOffline.loadQueue(queueKey); }
  var queue = loadQueue();  // criterion -> {inflight: op|null, next: content|null}
  function saveQueue() {
    InspectOffline.saveQueue(queueKey, queue);
  }
  function pendingCount() {
    return Object.keys(queue).filter(function (k) { return queue[k].inflight || queue[k].next; }).length;
  }

  /* ---------------------------------------------------------------- reading a card */

  /* Numbers are read by the user's language with the server's marks (static/numbers.js):
   * 3.200 = 3200 in Vietnamese; what cannot be read for sure is NaN, explained by echo(). */
  var marks = JSON.parse(form.dataset.numbers || '{"decimal": ",", "group": "."}');
  function parseNumber(text, decimal) {
    if (!String(text).trim()) return null;
    var result = InspectNumbers.read(text, marks, !decimal);
    return result.error ? NaN : result.value;
  }
  function shownNumber(value) {
    return typeof value === "number" ? InspectNumbers.format(value, marks) : String(value);
  }

  /* "= 3.200" beside each number box as the user types, or why it cannot be read. */
  function echo(card) {
    var fine = true;
    card.el.querySelectorAll("input[data-number]").forEach(function (box) {
      var out = card.el.querySelector("[data-role=echo][data-for=" + box.dataset.part + "]");
      var text = box.value;
      if (!out) return;
      out.className = "number-echo";
      if (!text.trim()) { out.textContent = ""; return; }
      var result = InspectNumbers.read(text, marks, box.dataset.number === "whole");
      if (result.error) {
        fine = false;
        out.textContent = InspectNumbers.explain(result, text, marks, i18n);
        out.className = "number-echo bad";
        box.setAttribute("aria-invalid", "true");
      } else {
        out.textContent = "= " + InspectNumbers.format(result.plain, marks);
        box.removeAttribute("aria-invalid");
      }
    });
    return fine;
  }

  function field(card, part) { return card.el.querySelector("[data-part=" + part + "]"); }

  function contentOf(card) {
    var c = card.config, content = {}, el = card.el;
    var checked = el.querySelector("fieldset[data-part=value] input:checked");
    var valueBox = el.querySelector("input[data-part=value]");
    if (checked) {
      if (c.type === "yesno") content.value = checked.value === "true";
      else if (c.type === "choice") content.value = checked.value;
      else content.value = Number(checked.value);
    } else if (valueBox && valueBox.value.trim() !== "") {
      content.value = c.type === "info" ? valueBox.value.trim() : parseNumber(valueBox.value, true);
    }
    var inputs = {};
    c.inputs.forEach(function (spec) {
      var box = field(card, "in_" + spec.id);
      if (!box || box.value.trim() === "") return;
      inputs[spec.id] = spec.kind === "number" ? parseNumber(box.value, c.decimal) : box.value.trim();
    });
    if (Object.keys(inputs).length) content.inputs = inputs;
    var na = field(card, "na");
    if (na && na.checked) content.na = true;
    ["note", "explanation"].forEach(function (part) {
      var box = field(card, part);
      if (box && box.value.trim()) content[part] = box.value.trim();
    });
    return content;
  }

  function invalidNumbers(content) {
    var bad = typeof content.value === "number" && isNaN(content.value);
    Object.keys(content.inputs || {}).forEach(function (k) {
      if (typeof content.inputs[k] === "number" && isNaN(content.inputs[k])) bad = true;
    });
    return bad;
  }

  function showContent(card, content) {
    var el = card.el, c = card.config;
    el.querySelectorAll("fieldset[data-part=value] input").forEach(function (radio) {
      var v = content.value;
      radio.checked = v !== undefined && v !== null && (
        c.type === "yesno" ? radio.value === String(v) : Number(radio.value) === Number(v) || radio.value === String(v));
    });
    var valueBox = el.querySelector("input[data-part=value]");
    if (valueBox) valueBox.value = content.value === undefined || content.value === null ? "" : shownNumber(content.value);
    c.inputs.forEach(function (spec) {
      var box = field(card, "in_" + spec.id);
      if (box) box.value = content.inputs && content.inputs[spec.id] !== undefined ? shownNumber(content.inputs[spec.id]) : "";
    });
    var na = field(card, "na");
    if (na) na.checked = !!content.na;
    ["note", "explanation"].forEach(function (part) {
      var box = field(card, part);
      if (box) box.value = content[part] || "";
    });
  }

  /* ---------------------------------------------------------------- live preview */

  function sum(inputs, ids) {
    var total = 0, missing = false;
    ids.forEach(function (id) {
      var v = inputs[id];
      if (v === undefined || v === null || isNaN(v)) missing = true; else total += v;
    });
    return missing ? null : total;
  }

  function bandPoints(bands, value) {
    for (var i = 0; i < bands.length; i++) {
      var b = bands[i];
      if ((b.min === null || value >= b.min) && (b.max === null || value <= b.max)) return b.points;
    }
    return 0;
  }

  /* An estimate while typing; the server's line replaces it after saving. */
  function preview(card) {
    var c = card.config, content = contentOf(card), inputs = content.inputs || {};
    var out = card.el.querySelector("[data-role=ratio]");
    if (!out || content.na) return;
    if (c.type === "ratio") {
      var num = sum(inputs, c.numerator), den = sum(inputs, c.denominator);
      if (num === null || den === null) { out.textContent = ""; return; }
      if (den === 0) { out.textContent = t("no_denominator"); return; }
      var pct = 100 * num / den;
      var pts = c.proportional ? Math.min(c.points, c.points * pct / 100) : bandPoints(c.bands, pct);
      out.textContent = percentFormat.format(pct) + "% → " + numberFormat.format(pts);
    } else if (c.type === "count") {
      var total = sum(inputs, c.count);
      out.textContent = total === null ? "" : "Σ " + numberFormat.format(total) + " → " + numberFormat.format(bandPoints(c.bands, total));
    }
  }

  /* ---------------------------------------------------------------- showing results */

  /* What the card shows of its last stored answer (points, status, ratio, flag), to put
   * back when the server refuses a change: a refused value never shows its own score. */
  function snapshot(card) {
    var el = card.el, pick = function (sel) { var n = el.querySelector(sel); return n ? n.textContent : null; };
    var check = el.querySelector("[data-role=check]");
    return { status: (el.className.match(/\bstatus-\S+/) || [""])[0], points: pick(".line-points"),
             tag: pick(".status-tag"), ratio: pick("[data-role=ratio]"), check: check ? check.hidden : null };
  }
  function restore(card, shot) {
    var el = card.el, put = function (sel, text) { var n = el.querySelector(sel); if (n && text !== null) n.textContent = text; };
    el.className = el.className.replace(/\bstatus-\S+/g, "").trim() + " " + shot.status;
    put(".line-points", shot.points); put(".status-tag", shot.tag); put("[data-role=ratio]", shot.ratio);
    var check = el.querySelector("[data-role=check]");
    if (check && shot.check !== null) check.hidden = shot.check;
  }
  function refusedCount() {
    return Object.keys(cards).filter(function (k) { return cards[k].refused; }).length;
  }

  function setState(card, key, cls) {
    var out = card.el.querySelector(".save-state");
    out.textContent = key ? t(key) : "";
    out.className = "save-state" + (cls ? " " + cls : "");
  }

  function showLine(card, line) {
    var el = card.el;
    el.className = el.className.replace(/\bstatus-\S+/g, "") + " status-" + line.status;
    var pts = el.querySelector(".line-points");
    if (pts) pts.textContent = line.points === null ? "–" : numberFormat.format(line.points);
    var tag = el.querySelector(".status-tag");
    if (tag) tag.textContent = t("status_" + line.status);
    var check = el.querySelector("[data-role=check]");
    if (check) check.hidden = line.check !== "over_100";  // above 100 %: a second look
    var out = el.querySelector("[data-role=ratio]");
    if (out && line.value !== null && line.value !== undefined) {
      out.textContent = card.config.type === "ratio" ? percentFormat.format(line.value) + "%" : "Σ " + numberFormat.format(line.value);
    } else if (out) {
      out.textContent = "";
    }
  }

  function showTotals(score) {
    if (!score) return;
    var set = function (role, text) { var n = document.querySelector("[data-role=" + role + "]"); if (n) n.textContent = text; };
    set("total", numberFormat.format(score.total));
    set("percent", percentFormat.format(score.percent) + "%");
    set("answered", String(score.answered));
    if (score.section) set("section-points", numberFormat.format(score.section.points));
    var bar = document.querySelector("[data-role=progress]");
    if (bar) bar.value = score.answered;
    // the server counts what needs an answer (info, bonus and penalty lines do not)
    var tab = document.querySelector("[data-section-count=" + CSS.escape(form.dataset.section) + "]");
    if (tab && score.section_criteria != null) tab.textContent = score.section_answered + "/" + score.section_criteria;
  }

  function showNet() {
    var n = pendingCount();
    if (!netState) return;
    var refused = refusedCount();
    if (refused && !n) {  // never "all saved" while a refused change is on screen
      netState.textContent = t("not_saved_count").replace("%(count)s", refused);
      netState.className = "net-state bad";
      return;
    }
    if (!navigator.onLine && n) netState.textContent = t("offline_pending").replace("%(count)s", n);
    else if (n) netState.textContent = t("saving_count").replace("%(count)s", n);
    else netState.textContent = t("all_saved");
    netState.className = "net-state" + (n ? " pending" : " ok");
  }

  /* ---------------------------------------------------------------- conflicts */

  function answerText(card, answer) {
    var c = card.config, parts = [];
    if (!answer || (answer.value === undefined && !answer.inputs && !answer.na)) parts.push(t("no_answer"));
    else if (answer.na) parts.push(t("status_na"));
    else if (c.type === "yesno") parts.push(answer.value ? t("yes") : t("no"));
    else if (c.type === "choice") {
      var opt = c.options.filter(function (o) { return o.value === String(answer.value); })[0];
      parts.push(opt ? opt.label : String(answer.value));
    } else if (answer.value !== undefined && answer.value !== null) parts.push(shownNumber(answer.value));
    if (answer && answer.inputs) {
      c.inputs.forEach(function (spec) {
        if (answer.inputs[spec.id] !== undefined) parts.push(spec.label + ": " + shownNumber(answer.inputs[spec.id]));
      });
    }
    if (answer && answer.note) parts.push("— " + answer.note);
    return parts.join("; ");
  }

  function showConflict(card, current, mine) {
    var old = card.el.querySelector(".conflict");
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "conflict";
    box.setAttribute("role", "alert");
    var title = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = t("conflict_title") + (current.by ? " (" + current.by + ")" : "");
    title.appendChild(strong);
    var theirs = document.createElement("p");
    theirs.textContent = t("theirs") + " " + answerText(card, current);
    var yours = document.createElement("p");
    yours.textContent = t("mine") + " " + answerText(card, mine);
    var keepTheirs = document.createElement("button");
    keepTheirs.type = "button"; keepTheirs.className = "button secondary"; keepTheirs.textContent = t("take_theirs");
    var keepMine = document.createElement("button");
    keepMine.type = "button"; keepMine.className = "button"; keepMine.textContent = t("keep_mine");
    var actions = document.createElement("div");
    actions.className = "actions";
    actions.appendChild(keepTheirs); actions.appendChild(keepMine);
    box.appendChild(title); box.appendChild(theirs); box.appendChild(yours); box.appendChild(actions);
    card.el.querySelector(".line-status").after(box);
    keepTheirs.addEventListener("click", function () {
      setRev(card, current.rev);
      card.lastSent = JSON.stringify(stripMeta(current));
      showContent(card, current);
      delete queue[card.id]; saveQueue();
      box.remove(); setState(card, "saved", "ok"); preview(card); showNet();
    });
    keepMine.addEventListener("click", function () {
      setRev(card, current.rev);
      box.remove();
      enqueue(card, mine, true);
    });
  }

  function stripMeta(answer) {
    var out = {};
    ["value", "inputs", "na", "note", "explanation"].forEach(function (k) {
      var v = answer[k];  // a 0 or a "No" (false) value is an answer, not nothing
      if (v !== undefined && v !== null && v !== "" && !(v === false && k !== "value")) out[k] = v;
    });
    return out;
  }

  function setRev(card, rev) {
    card.rev = rev;
    var box = field(card, "base_rev");
    if (box) box.value = String(rev);
  }

  /* ---------------------------------------------------------------- sending */

  function enqueue(card, content, force) {
    var text = JSON.stringify(content);
    if (!force && text === card.lastSent) {  // back to what is stored: nothing refused now
      if (card.refused) { clearRefusal(card); showNet(); }
      setState(card, "saved", "ok"); return;
    }
    var slot = queue[card.id] || (queue[card.id] = { inflight: null, next: null });
    if (slot.inflight) slot.next = content;  // sent after the one in flight returns
    else slot.inflight = { op_id: uuid(), base_rev: card.rev, content: content };
    saveQueue();
    setState(card, "saving", "pending");
    showNet();
    if (!slot.busy) send(card);
  }

  function send(card) {
    var slot = queue[card.id];
    if (!slot || !slot.inflight) return;
    var op = slot.inflight;
    slot.busy = true;
    var body = Object.assign({ op_id: op.op_id, base_rev: op.base_rev }, op.content);
    fetch(api + "/answers/" + encodeURIComponent(card.id), {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        slot.busy = false;
        handle(card, slot, op, response.status, data);
      });
    }).catch(function () {
      slot.busy = false;
      setState(card, navigator.onLine ? "retrying" : "offline", "pending");
      retry.schedule();
      showNet();
    });
  }

  function next(card, slot) {
    slot.inflight = null;
    if (slot.next) {
      slot.inflight = { op_id: uuid(), base_rev: card.rev, content: slot.next };
      slot.next = null;
      saveQueue();
      send(card);
    } else {
      delete queue[card.id];
      saveQueue();
    }
  }

  function handle(card, slot, op, status, data) {
    if (status === 200 || status === 201) {
      retry.ok();
      setRev(card, data.rev);
      card.lastSent = JSON.stringify(op.content);
      if (data.line) showLine(card, data.line);
      clearRefusal(card);
      card.stored = snapshot(card);
      showTotals(data.totals);
      setState(card, slot.next ? "saving" : "saved", slot.next ? "pending" : "ok");
      next(card, slot);
    } else if (status === 409 && data.current) {
      slot.inflight = null; slot.next = null; delete queue[card.id]; saveQueue();
      setState(card, "conflict", "bad");
      showConflict(card, data.current, op.content);
    } else if (status === 400 || status === 409 || status === 403 || status === 404 || status === 422) {
      delete queue[card.id]; saveQueue();
      restore(card, card.stored);  // the last stored state, not the refused value's score
      card.refused = true;
      card.el.classList.add("not-saved");
      setState(card, "not_saved", "bad");
      var msg = document.createElement("p");
      msg.className = "error"; msg.setAttribute("role", "alert");
      msg.textContent = data.error || t("not_saved");
      var old = card.el.querySelector("p.error.live");
      if (old) old.remove();
      msg.classList.add("live");
      card.el.querySelector(".line-status").after(msg);
    } else if (status === 401) {
      setState(card, "login_again", "bad");  // kept in the queue: sent after logging in again
    } else {
      setState(card, "retrying", "pending");
      retry.schedule();
    }
    showNet();
  }

  function clearRefusal(card) {
    card.refused = false;
    card.el.classList.remove("not-saved");
    var old = card.el.querySelector("p.error.live");
    if (old) old.remove();
  }

  function flush() {
    Object.keys(queue).forEach(function (id) {
      var card = cards[id];
      var slot = queue[id];
      if (!card) return;  // a criterion of another section: sent when that section is open
      if (!slot.inflight && slot.next) { slot.inflight = { op_id: uuid(), base_rev: card.rev, content: slot.next }; slot.next = null; }
      if (slot.inflight && !slot.busy) send(card);
    });
    showNet();
  }

  /* ---------------------------------------------------------------- photos */

  var downscale = InspectOffline.downscale;

  var photoUploads = 0;

  function uploadPhoto(card, input) {
    var file = input.files && input.files[0];
    if (!file) return;
    var photoForm = document.getElementById("photo-" + card.key);
    var opId = uuid();
    photoUploads += 1;
    setState(card, "photo_uploading", "pending");
    downscale(file, 1600).then(function (blob) {
      var attempt = function (delay) {
        var data = new FormData();
        data.append("photo", blob, "photo.jpg");
        data.append("op_id", opId);
        fetch(photoForm.dataset.api, {
          method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf, "Accept": "application/json" }, body: data
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (result) {
            if (response.status === 201 || response.status === 200) {
              photoUploads -= 1;
              setRev(card, result.rev);
              addThumb(card, result.photo.id);
              setState(card, "photo_saved", "ok");
            } else if (response.status >= 500) {
              setTimeout(function () { attempt(Math.min(delay * 2, 30000)); }, delay);
            } else {
              photoUploads -= 1;
              setState(card, null);
              alert(result.error || t("not_saved"));
            }
          });
        }).catch(function () {
          setState(card, "offline", "pending");
          setTimeout(function () { attempt(Math.min(delay * 2, 30000)); }, delay);
        });
      };
      attempt(2000);
    });
    input.value = "";
  }

  function addThumb(card, photoId) {
    var holder = card.el.querySelector("[data-role=photos]");
    var base = form.dataset.photoBase.replace("__PHOTO__", photoId);
    var figure = document.createElement("figure");
    figure.className = "thumb";
    var link = document.createElement("a");
    link.href = base;
    var img = document.createElement("img");
    img.src = base + "?variant=thumb"; img.alt = card.id; img.width = 96; img.height = 72;
    link.appendChild(img); figure.appendChild(link);
    holder.insertBefore(figure, holder.querySelector(".photo-pick"));
  }

  /* ---------------------------------------------------------------- wiring */

  document.querySelectorAll("article.crit").forEach(function (el) {
    var card = {
      el: el, id: el.dataset.criterion, key: el.dataset.key,
      config: JSON.parse(el.dataset.config), rev: 0, lastSent: null, timer: null
    };
    var revBox = el.querySelector("[data-part=base_rev]");
    card.rev = revBox ? Number(revBox.value || 0) : 0;
    card.lastSent = JSON.stringify(contentOf(card));
    card.stored = snapshot(card);
    cards[card.id] = card;
    if (!editable) return;
    var onChange = function (delay) {
      clearTimeout(card.timer);
      preview(card);
      card.timer = setTimeout(function () {
        var content = contentOf(card);
        if (!echo(card) || invalidNumbers(content)) { setState(card, "not_a_number", "bad"); return; }
        enqueue(card, content, false);
      }, delay);
    };
    el.addEventListener("change", function (event) {
      if (event.target.matches("[data-role=photo-input]")) { uploadPhoto(card, event.target); return; }
      onChange(0);
    });
    el.addEventListener("input", function (event) {
      if (event.target.matches("input[data-number]")) echo(card);
      if (event.target.matches("input[type=text], textarea")) onChange(800);
    });
    // A pending change from an earlier visit: show it again, it is about to be sent.
    var slot = queue[card.id];
    if (slot && (slot.inflight || slot.next)) {
      showContent(card, slot.next || slot.inflight.content);
      setState(card, "saving", "pending");
    }
  });

  if (editable) {
    window.addEventListener("online", function () { retry.ok(); flush(); });
    window.addEventListener("offline", showNet);
    window.addEventListener("beforeunload", function (event) {
      if (photoUploads > 0) { event.preventDefault(); event.returnValue = ""; }
    });
    // Before leaving for another section, make sure what is typed is queued.
    form.addEventListener("submit", function () {
      Object.keys(cards).forEach(function (id) {
        var card = cards[id];
        if (card.timer) { clearTimeout(card.timer); enqueue(card, contentOf(card), false); }
      });
    });
    flush();
  }
})();
