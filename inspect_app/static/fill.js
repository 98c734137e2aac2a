/* Autosave of a checklist section (DESIGN §7), progressive enhancement of the plain form.
 *
 * Every change of a criterion becomes an operation {op_id, base_rev, content} for
 * PUT /api/v1/inspections/<id>/answers/<criterion>, and a photo an upload of its blob; both
 * wait in the phone's one queue (static/queue.js, IndexedDB) until the server has them, so
 * closing the page, moving to another section or losing the network loses nothing, and
 * any page sends them. A retry re-sends the same op_id, so nothing is saved twice. A 409
 * with the current answer shows "changed by a team mate: theirs / mine" instead of
 * overwriting it, also when the conflict came back while another page was open.
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
  var inspectionId = form.dataset.inspection;
  var Q = window.InspectQueue;
  var netState = document.querySelector("[data-role=net]");
  var cards = {};
  var adding = [];  // queue writes not finished yet (waited for before leaving the page)

  function t(key) { return i18n[key] || key; }

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

  /* How a card's value is read comes from its type's description (client_config):
   * bool (yes/no), option (one of), options (ticks: a list, [] for "none of them"),
   * number, text; no value at all for types answered with inputs. */
  function ticked(el) {
    var boxes = el.querySelectorAll("fieldset[data-part=value] input[type=checkbox]");
    var values = [], none = false;
    boxes.forEach(function (box) {
      if (!box.checked) return;
      if (box.hasAttribute("data-none")) none = true; else values.push(box.value);
    });
    return values.length ? values : (none ? [] : null);
  }

  function contentOf(card) {
    var c = card.config, content = {}, el = card.el;
    var checked = el.querySelector("fieldset[data-part=value] input[type=radio]:checked");
    var valueBox = el.querySelector("input[data-part=value]");
    if (c.value === "options") {
      var list = ticked(el);
      if (list !== null) content.value = list;
    } else if (checked) {
      if (c.value === "bool") content.value = checked.value === "true";
      else if (c.value === "option") content.value = checked.value;
      else content.value = Number(checked.value);
    } else if (valueBox && valueBox.value.trim() !== "") {
      content.value = c.value === "text" ? valueBox.value.trim() : parseNumber(valueBox.value, true);
    }
    var inputs = {};
    c.inputs.forEach(function (spec) {
      var box = field(card, "in_" + spec.id);
      if (!box || box.value.trim() === "") return;
      inputs[spec.id] = spec.kind === "number" ? parseNumber(box.value, c.decimal) : box.value.trim();
    });
    if (Object.keys(inputs).length) content.inputs = inputs;
    var na = field(card, "na");
    if (na && na.checked) {  // not applicable: a value ticked before does not count
      content.na = true; delete content.value; delete content.inputs;
    }
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
    el.querySelectorAll("fieldset[data-part=value] input[type=radio]").forEach(function (radio) {
      var v = content.value;
      radio.checked = v !== undefined && v !== null && (
        c.value === "bool" ? radio.value === String(v) : Number(radio.value) === Number(v) || radio.value === String(v));
    });
    el.querySelectorAll("fieldset[data-part=value] input[type=checkbox]").forEach(function (box) {
      var v = Array.isArray(content.value) ? content.value.map(String) : null;
      box.checked = v !== null && (box.hasAttribute("data-none") ? v.length === 0 : v.indexOf(box.value) >= 0);
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

  /* A sum or percent of typed decimals without binary noise (10,094 / 10,3 is 98, not
   * 97,99999999999999; 0,1 + 0,2 is 0,3): the server compares exact values with the bands. */
  function exact(x) { return Math.round(x * 1e9) / 1e9; }

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
    if (c.preview === "options") {  // the chosen options' points, capped at the criterion's
      if (!Array.isArray(content.value)) { out.textContent = ""; return; }
      var got = 0;
      c.options.forEach(function (o) { if (content.value.indexOf(o.value) >= 0) got += o.points; });
      out.textContent = "→ " + numberFormat.format(Math.min(c.points, got));
    } else if (c.preview === "ratio") {
      var num = sum(inputs, c.numerator), den = sum(inputs, c.denominator);
      if (num === null || den === null) { out.textContent = ""; return; }
      if (den === 0) { out.textContent = c.on_zero === "na" ? t("no_denominator") : "→ " + numberFormat.format(c.on_zero === "full" ? c.points : 0); return; }
      var pct = exact(100 * num / den);
      var pts = c.proportional ? exact(Math.min(c.points, c.points * num / den)) : bandPoints(c.bands, pct);
      out.textContent = percentFormat.format(pct) + "% → " + numberFormat.format(pts);
    } else if (c.preview === "count") {
      var total = sum(inputs, c.count);
      if (total !== null) total = exact(total);
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
  function restoreShot(card, shot) {
    var el = card.el, put = function (sel, text) { var n = el.querySelector(sel); if (n && text !== null) n.textContent = text; };
    el.className = el.className.replace(/\bstatus-\S+/g, "").trim() + " " + shot.status;
    put(".line-points", shot.points); put(".status-tag", shot.tag); put("[data-role=ratio]", shot.ratio);
    var check = el.querySelector("[data-role=check]");
    if (check && shot.check !== null) check.hidden = shot.check;
  }
  function refusedCount() {
    return Object.keys(cards).filter(function (k) { return cards[k].refused || cards[k].invalid || cards[k].photoRefused; }).length;
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
    var shown = card.config.preview;
    if (out && line.value !== null && line.value !== undefined && (shown === "ratio" || shown === "count")) {
      out.textContent = shown === "ratio" ? percentFormat.format(line.value) + "%" : "Σ " + numberFormat.format(line.value);
    } else if (out) {
      out.textContent = "";
    }
  }

  function showTotals(score) {
    if (!score) return;
    var set = function (role, text) { var n = document.querySelector("[data-role=" + role + "]"); if (n) n.textContent = text; };
    set("total", numberFormat.format(score.total));
    set("max", numberFormat.format(score.max));  // an N/A takes its points out of the maximum
    set("percent", percentFormat.format(score.percent) + "%");
    set("answered", String(score.answered));
    if (score.section) {
      set("section-points", numberFormat.format(score.section.points));
      set("section-max", numberFormat.format(score.section.max));
    }
    var bar = document.querySelector("[data-role=progress]");
    if (bar) bar.value = score.answered;
    // the server counts what needs an answer (info, bonus and penalty lines do not)
    var tab = document.querySelector("[data-section-count=" + CSS.escape(form.dataset.section) + "]");
    if (tab && score.section_criteria != null) tab.textContent = score.section_answered + "/" + score.section_criteria;
  }

  var loggedOut = false;  // the queue found nobody (or someone else) logged in

  function showNet() {
    if (!netState) return;
    Q.mine(inspectionId).then(function (ops) {
      var n = ops.filter(function (op) { return op.state !== "refused"; }).length;
      var refused = refusedCount();
      if (refused && !n) {  // never "all saved" while a refused change is on screen
        netState.textContent = t("not_saved_count").replace("%(count)s", refused);
        netState.className = "net-state bad";
        return;
      }
      if (loggedOut && n && navigator.onLine) {  // not "saving 2" for ever: say what it waits for
        netState.textContent = t("login_again");
        netState.className = "net-state bad";
        return;
      }
      if (!navigator.onLine && n) netState.textContent = t("offline_pending").replace("%(count)s", n);
      else if (!navigator.onLine) netState.textContent = t("offline_now");
      else if (n) netState.textContent = t("saving_count").replace("%(count)s", n);
      else netState.textContent = t("all_saved");
      netState.className = "net-state" + (n || !navigator.onLine ? " pending" : " ok");
    }, function () {});
  }

  /* ---------------------------------------------------------------- conflicts */

  /* An answer as its parts (the value, each input, the note, the explanation), keyed so
   * that two answers can be compared part by part. */
  function answerParts(card, answer) {
    var c = card.config, parts = {};
    answer = answer || {};
    var noValue = answer.value === undefined || answer.value === null;
    if (answer.na) parts.value = t("status_na");
    else if (noValue && c.inputs.length && answer.inputs) { /* the figures below are the answer */ }
    else if (noValue) parts.value = t("no_answer");
    else if (c.value === "bool") parts.value = answer.value ? t("yes") : t("no");
    else if (c.options.length) {
      var chosen = Array.isArray(answer.value) ? answer.value : [answer.value];
      var labels = chosen.map(function (v) {
        var opt = c.options.filter(function (o) { return o.value === String(v); })[0];
        return opt ? opt.label : String(v);
      });
      parts.value = labels.length ? labels.join("; ") : t("none_of_them");
    } else parts.value = shownNumber(answer.value);
    c.inputs.forEach(function (spec) {
      var v = answer.inputs && answer.inputs[spec.id];
      parts["in_" + spec.id] = spec.label + ": " + (v === undefined || v === null ? "–" : shownNumber(v));
    });
    if (answer.note) parts.note = t("note_label") + " " + answer.note;
    if (answer.explanation) parts.explanation = t("explanation_label") + " " + answer.explanation;
    return parts;
  }

  /* "Theirs: …" or "Yours: …", each part that differs from the other answer marked. */
  function conflictLine(label, parts, other) {
    var p = document.createElement("p");
    p.appendChild(document.createTextNode(label + " "));
    var keys = Object.keys(parts).concat(Object.keys(other).filter(function (k) { return !(k in parts); }));
    keys.forEach(function (k, i) {
      if (i) p.appendChild(document.createTextNode("; "));
      var text = k in parts ? parts[k] : "–";
      if (parts[k] === other[k]) { p.appendChild(document.createTextNode(text)); return; }
      var mark = document.createElement("mark");
      mark.className = "diff"; mark.dataset.part = k; mark.textContent = text;
      p.appendChild(mark);
    });
    return p;
  }

  /* A moment of the server (ISO) as 07/04/2023 14:05 in the app's time zone (as the pages
   * write it in both languages). */
  function momentText(iso) {
    try {
      return new Date(iso).toLocaleString("en-GB", { timeZone: form.dataset.tz, day: "2-digit", month: "2-digit",
        year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).replace(",", "");
    } catch (e) { return ""; }
  }

  function authorText(answer) {
    var who = answer && (answer.by_name || answer.by);
    var when = answer && answer.at ? momentText(answer.at) : "";
    return [who, when].filter(Boolean).join(" · ");
  }

  function showConflict(card, current, mine, seq) {
    var old = card.el.querySelector(".conflict");
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "conflict";
    box.setAttribute("role", "alert");
    var title = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = t("conflict_title");
    title.appendChild(strong);
    var author = authorText(current);
    var who = document.createElement("p");
    who.className = "conflict-who"; who.textContent = author;
    var theirParts = answerParts(card, current), myParts = answerParts(card, mine);
    var theirs = conflictLine(t("theirs"), theirParts, myParts);
    theirs.className = "theirs";
    var yours = conflictLine(t("mine"), myParts, theirParts);
    yours.className = "mine";
    var keepTheirs = document.createElement("button");
    keepTheirs.type = "button"; keepTheirs.className = "button secondary"; keepTheirs.textContent = t("take_theirs");
    var keepMine = document.createElement("button");
    keepMine.type = "button"; keepMine.className = "button"; keepMine.textContent = t("keep_mine");
    var actions = document.createElement("div");
    actions.className = "actions";
    actions.appendChild(keepTheirs); actions.appendChild(keepMine);
    box.appendChild(title); if (author) box.appendChild(who); box.appendChild(theirs); box.appendChild(yours); box.appendChild(actions);
    card.el.querySelector(".line-status").after(box);
    keepTheirs.addEventListener("click", function () {
      setRev(card, current.rev);
      showContent(card, current); echo(card);
      card.lastSent = card.storedText = JSON.stringify(contentOf(card));
      Q.discard(seq);
      box.remove(); Q.refocus(card.el); setState(card, "saved", "ok"); preview(card); showNet();
      // their points, status and the totals: the next ask brings the answer with its line
      live.since = 0; live.again = card.id; liveLater(0);
    });
    keepMine.addEventListener("click", function () {
      setRev(card, current.rev);
      box.remove();
      showContent(card, mine); echo(card); preview(card);  // the boxes say what is sent
      Q.refocus(card.el);
      Q.discard(seq).then(function () { enqueue(card, mine, true); });
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
    var madeOn = card.lastSent;  // what the card showed when this change was made
    card.lastSent = text;
    setState(card, "saving", "pending");
    var added = Q.add({
      kind: "answer", inspection: inspectionId, key: card.id, method: "PUT",
      url: api + "/answers/" + encodeURIComponent(card.id), base_rev: card.rev, body: content, on: madeOn,
      label: card.label, where: document.title.replace(/ · inspect_app$/, ""), page: location.pathname + "#k-" + card.id
    }).then(showNet, function () { setState(card, "not_saved", "bad"); });
    adding.push(added);
    return added;
  }

  function showRefusal(card, text) {
    var old = card.el.querySelector("p.error.live");
    if (old) old.remove();
    var msg = document.createElement("p");
    msg.className = "error live"; msg.setAttribute("role", "alert");
    msg.textContent = (text || t("not_saved")) + " ";
    var link = document.createElement("a");
    link.href = document.body.dataset.queue; link.textContent = t("queue");
    msg.appendChild(link);
    card.el.querySelector(".line-status").after(msg);
  }

  /* What the queue says about this section's criteria, whichever page sent them. */
  Q.on(function (event) {
    var op = event.op;
    if (event.type === "login") loggedOut = true;  // nothing is sent until the user logs in
    else if (event.type === "sending" || event.type === "done") loggedOut = false;
    if (!op || op.inspection !== inspectionId || !cards[op.key]) {
      if (event.type === "change" || event.type === "drained" || event.type === "login") showNet();
      return;
    }
    var card = cards[op.key], data = event.data || {};
    // another tab's change saved: the card keeps its revision (the poll shows it; a change here conflicts)
    if (event.type == "done" && op.kind == "answer" && JSON.stringify(op.body || {}) != card.lastSent) return showNet();
    if (event.type === "done" && op.kind === "answer") {
      setRev(card, data.rev);
      if (data.line) showLine(card, data.line);
      if (card.photoRefused) card.refused = false; else clearRefusal(card);  // a refused photo is still not saved
      card.stored = snapshot(card);
      card.storedText = JSON.stringify(op.body || {});
      showTotals(data.totals);
      setState(card, "saved", "ok");
    } else if (event.type === "done" && op.kind === "photo") {
      setRev(card, data.rev);
      var unsent = card.el.querySelector("figure.unsent[data-seq='" + op.seq + "']");
      if (unsent) unsent.remove();
      if (data.photo) addThumb(card, data.photo.id);
      if (card.photoRefused && !card.refused) clearRefusal(card);  // sent again, now taken
      card.photoRefused = false;
      setState(card, "photo_saved", "ok");
    } else if (event.type === "conflict") {
      setState(card, "conflict", "bad");
      showConflict(card, op.current, op.body || {}, op.seq);
    } else if (event.type === "refused" && op.kind === "photo") {
      card.photoRefused = true;  // the answer stays as it is
      card.el.classList.add("not-saved");
      setState(card, "not_saved", "bad");
      showRefusal(card, op.error);
    } else if (event.type === "refused") {
      restoreShot(card, card.stored);  // the last stored state, not the refused value's score
      card.refused = true;
      card.lastSent = card.storedText;
      card.el.classList.add("not-saved");
      setState(card, "not_saved", "bad");
      showRefusal(card, op.error);
    } else if (event.type === "retry") {
      setState(card, navigator.onLine ? "retrying" : "offline", "pending");
    } else if (event.type === "login") {
      setState(card, "login_again", "bad");  // kept in the queue: sent after logging in again
    }
    showNet();
  });

  function clearRefusal(card) {
    card.refused = false;
    card.el.classList.remove("not-saved");
    var old = card.el.querySelector("p.error.live");
    if (old) old.remove();
  }

  /* ---------------------------------------------------------------- photos */

  var downscaling = 0, picked = Promise.resolve();  // photos join the queue in the order picked

  function uploadPhoto(card, input) {
    var file = input.files && input.files[0];
    if (!file) return;
    downscaling += 1;
    setState(card, "photo_uploading", "pending");
    var added = picked = picked.then(function () { return Q.downscale(file, 1600); }).then(function (blob) {
      return Q.add({
        kind: "photo", inspection: inspectionId, key: card.id, method: "POST",
        url: input.dataset.api, blob: blob, label: card.label, where: document.title.replace(/ · inspect_app$/, ""),
        page: location.pathname + "#k-" + card.id
      });
    }).then(function (op) {
      downscaling -= 1;
      if (document.querySelector("figure.unsent[data-seq='" + op.seq + "']") === null) addUnsent(card, op);
      showNet();
    }, function () { downscaling -= 1; setState(card, "not_saved", "bad"); });
    adding.push(added);
    input.value = "";
  }

  /* A photo still on the phone, marked "not sent" until the server has it. */
  function addUnsent(card, op) {
    var holder = card.el.querySelector("[data-role=photos]");
    var figure = document.createElement("figure");
    figure.className = "thumb unsent"; figure.dataset.seq = op.seq;
    var img = document.createElement("img");
    img.src = URL.createObjectURL(op.blob); img.alt = card.label; img.width = 96; img.height = 72;
    var caption = document.createElement("figcaption");
    caption.textContent = t("photo_unsent");
    figure.appendChild(img); figure.appendChild(caption);
    holder.insertBefore(figure, holder.querySelector(".photo-pick"));
  }

  function addThumb(card, photoId) {  // once: the queue's reply and the live poll may both bring it
    var holder = card.el.querySelector("[data-role=photos]");
    var base = form.dataset.photoBase.replace("__PHOTO__", photoId);
    if (holder.querySelector("figure.thumb:not(.unsent) a[href='" + base + "']")) return;
    var figure = document.createElement("figure");
    figure.className = "thumb";
    var link = document.createElement("a");
    link.href = base;
    var img = document.createElement("img");
    img.src = base + "?variant=thumb"; img.alt = card.id; img.width = 96; img.height = 72;
    link.appendChild(img); figure.appendChild(link);
    if (editable) {  // a remove button, as the page draws a stored photo's
      var remove = document.createElement("button");
      remove.className = "linkish small"; remove.type = "submit"; remove.name = "remove_photo";
      remove.value = card.id + ":" + photoId; remove.textContent = t("remove");
      figure.appendChild(remove);
    }
    holder.insertBefore(figure, holder.querySelector(".photo-pick"));
  }

  /* ---------------------------------------------------------------- team mates, live */

  /* While the page is visible and online, ask every INSPECT_LIVE_POLL_SECONDS (5 s) what
   * was saved since the record revision this page knows (GET …/changes?since=N): a team mate's answers appear on
   * their cards. A card with the focus, or with a change of this phone not sent yet, is
   * never overwritten: the next ask brings its answer again (since stays before it) and
   * it is shown once the card is left untouched; a change made meanwhile meets it as the
   * usual conflict. Errors slow the asking down (up to once a minute). */
  var every = 1000 * (Number(form.dataset.poll) || 5);  // INSPECT_LIVE_POLL_SECONDS
  var live = { since: Number(form.dataset.rev || 0), delay: every, timer: null, stopped: form.dataset.status !== "draft" };

  function livePoll() {
    clearTimeout(live.timer); live.timer = null;
    if (live.stopped || document.hidden || !navigator.onLine) return;  // resumed when shown or online
    live.timer = -1;  // asking
    fetch(api + "/changes?since=" + live.since + "&section=" + encodeURIComponent(form.dataset.section),
          { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(liveApply)
      .then(function () { live.delay = every; }, function () { live.delay = Math.min(live.delay * 2, 60000); })
      .then(function () { if (live.timer === -1) live.timer = null; liveLater(live.delay); });
  }

  function liveLater(ms) {
    if (live.timer === -1) return;
    clearTimeout(live.timer);
    live.timer = live.stopped ? null : setTimeout(livePoll, ms);
  }

  function liveApply(data) {
    var changes = data.changes.filter(function (c) {  // (again: a card whose line is asked for)
      return cards[c.criterion] && (c.rev > cards[c.criterion].rev || (c.criterion === live.again && c.rev === cards[c.criterion].rev));
    });
    live.again = null;
    // finalized meanwhile: said on the page, and followed on (a reopen makes it a draft again)
    var shut = document.querySelector("[data-role=closed]");
    if (shut) shut.hidden = data.status === "draft";
    var queued = changes.length ? Q.mine(inspectionId).catch(function () { return []; }) : Promise.resolve([]);
    return queued.then(function (ops) {
      var upTo = data.rev;
      changes.forEach(function (change) {
        var card = cards[change.criterion], content = JSON.stringify(stripMeta(change.answer));
        var onScreen = JSON.stringify(contentOf(card));
        var waiting = ops.some(function (op) { return op.kind === "answer" && op.key === card.id; });
        if (onScreen === content) {  // the same answer (this phone's, just sent), its photos may differ
          setRev(card, change.rev);
          syncPhotos(card, change.answer.photos);
          if (change.line) { showLine(card, change.line); card.stored = snapshot(card); }
        }
        else if (waiting || card.timer || onScreen !== card.lastSent || card.el.contains(document.activeElement))
          upTo = Math.min(upTo, change.changed - 1);  // held: asked for again next time
        else liveShow(card, change);
      });
      live.since = Math.max(live.since, upTo);
      if (changes.length && data.totals) showTotals(data.totals);
    });
  }

  /* The card's thumbnails as the stored answer has them: a team mate's new photo added,
   * a removed one gone (photos still waiting on this phone stay). */
  function syncPhotos(card, ids) {
    var want = {}, shown = {};
    (ids || []).forEach(function (id) { want[id] = 1; });
    card.el.querySelectorAll("figure.thumb:not(.unsent)").forEach(function (figure) {
      var link = figure.querySelector("a"), id = link && link.pathname.split("/").pop();
      if (id && !want[id]) figure.remove(); else if (id) shown[id] = 1;
    });
    (ids || []).forEach(function (id) { if (!shown[id]) addThumb(card, id); });
  }

  /* Show a team mate's stored answer on its card, as if this page had loaded it. */
  function liveShow(card, change) {
    setRev(card, change.rev);
    showContent(card, change.answer);
    echo(card);
    if (change.line) showLine(card, change.line);
    card.lastSent = card.storedText = JSON.stringify(contentOf(card));
    card.stored = snapshot(card);
    clearRefusal(card);
    syncPhotos(card, change.answer.photos);
    setState(card, "", "ok");
    card.el.querySelector(".save-state").textContent = t("changed_by").replace("%(who)s", authorText(change));
  }

  function liveStart() {
    document.addEventListener("visibilitychange", function () { liveLater(document.hidden ? 1e9 : 0); });
    window.addEventListener("online", function () { live.delay = every; liveLater(0); });
    liveLater(every);
  }

  /* ---------------------------------------------------------------- wiring */

  document.querySelectorAll("article.crit").forEach(function (el) {
    var card = {
      el: el, id: el.dataset.criterion, key: el.dataset.key,
      config: JSON.parse(el.dataset.config), rev: 0, lastSent: null, timer: null,
      label: el.dataset.criterion + " " + (el.querySelector(".crit-text") || el).textContent.trim()
    };
    var revBox = el.querySelector("[data-part=base_rev]");
    card.rev = revBox ? Number(revBox.value || 0) : 0;
    card.lastSent = JSON.stringify(contentOf(card));
    card.stored = snapshot(card);
    card.storedText = card.lastSent;
    cards[card.id] = card;
    if (!editable) return;
    card.settle = function () {
      clearTimeout(card.timer);
      card.timer = null;
      var content = contentOf(card);
      // held back, not sent: never "all saved" in the bar while it is on screen
      card.invalid = !echo(card) || invalidNumbers(content);
      if (card.invalid) { setState(card, "not_a_number", "bad"); showNet(); return; }
      enqueue(card, content, false);
    };
    var onChange = function (delay) {
      clearTimeout(card.timer);
      preview(card);
      card.timer = setTimeout(card.settle, delay);
    };
    el.addEventListener("change", function (event) {
      if (event.target.matches("[data-role=photo-input]")) { uploadPhoto(card, event.target); return; }
      if (event.target.matches("fieldset input[type=checkbox]") && event.target.checked) {
        // "none of them" and the options exclude each other
        var none = event.target.hasAttribute("data-none");
        event.target.closest("fieldset").querySelectorAll("input[type=checkbox]").forEach(function (box) {
          if (box !== event.target && box.hasAttribute("data-none") !== none) box.checked = false;
        });
      }
      onChange(0);
    });
    el.addEventListener("input", function (event) {
      if (event.target.matches("input[data-number]")) echo(card);
      if (event.target.matches("input[type=text], textarea")) onChange(800);
    });
  });

  /* A page kept on the phone may be older than what this phone already sent (the server's
   * revision is remembered), and changes may still wait in the queue: show both. */
  function restore() {
    var ids = Object.keys(cards);
    return Promise.all(ids.map(function (id) {
      return Q.known(inspectionId, id).then(function (known) {
        var card = cards[id];
        if (!known || !(known.rev > card.rev)) return;
        setRev(card, known.rev);
        if (known.content) { showContent(card, known.content); card.lastSent = JSON.stringify(known.content); preview(card); }
        (known.photos || []).forEach(function (photoId) { addThumb(card, photoId); });  // sent after this copy was kept
      }, function () {});
    })).then(function () { return Q.mine(inspectionId); }).then(function (ops) {
      ops.forEach(function (op) {
        var card = cards[op.key];
        if (!card || op.corrupt) return;
        if (op.kind === "answer" && (op.state === "waiting" || op.state === "sending")) {
          showContent(card, op.body || {}); card.lastSent = JSON.stringify(op.body || {});
          preview(card); setState(card, "saving", "pending");
        } else if (op.kind === "answer" && op.state === "conflict") {
          setState(card, "conflict", "bad"); showConflict(card, op.current, op.body || {}, op.seq);
        } else if (op.state === "refused") {
          if (op.kind === "answer") card.refused = true; else card.photoRefused = true;
          card.el.classList.add("not-saved"); setState(card, "not_saved", "bad");
          showRefusal(card, op.error);
        }
        if (op.kind === "photo" && op.state !== "refused") addUnsent(card, op);
      });
      showNet();
    }, function () {});
  }

  liveStart();
  if (editable) {
    restore();
    window.addEventListener("online", showNet);
    window.addEventListener("offline", showNet);
    window.addEventListener("beforeunload", function (event) {
      if (downscaling > 0) { event.preventDefault(); event.returnValue = ""; }
    });
    // What is typed waits for a pause (800 ms) before it is queued; the page left before
    // (a link, a reload, "back", the phone's home button) queues it as it goes (queue.js
    // writes it at once to the outbox).
    var settleAll = function () {
      Object.keys(cards).forEach(function (id) { if (cards[id].timer) cards[id].settle(); });
    };
    window.addEventListener("pagehide", settleAll);
    document.addEventListener("visibilitychange", function () { if (document.hidden) settleAll(); });
    // Leaving for another section: queue what is typed, then go there (a plain link, so
    // that it also opens offline, from the copy the service worker keeps).
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.name === "remove_photo" && !navigator.onLine) {
        event.preventDefault();  // a post into no network ends on the browser's error page
        var where = cards[event.submitter.value.split(":")[0]];
        if (where) setState(where, "remove_offline", "bad");
        return;
      }
      var target = event.submitter && event.submitter.value === "review" ? form.dataset.reviewUrl
        : event.submitter && event.submitter.value === "next" ? form.dataset.nextUrl : null;
      settleAll();
      if (!target) {  // "Save" offline: what is typed waits in the queue, the page stays
        if (!navigator.onLine) { event.preventDefault(); showNet(); }
        return;
      }
      event.preventDefault();
      Promise.all(adding).then(function () { location.href = target; }, function () { location.href = target; });
    });
  } else {
    showNet();
  }
})();
