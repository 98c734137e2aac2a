/* The queue page (/queue): what waits on this phone, rendered from the phone's own
 * storage by static/queue.js's InspectQueue, with "send now" and "discard" for each change.
 * Only this page needs it: the other pages' first load stays light. */
(function () {
  "use strict";

  var Q = window.InspectQueue, t = Q && Q.t;
  var list = document.querySelector("[data-role=queue-list]");
  if (list && Q) {
    var empty = document.querySelector("[data-role=queue-empty]");
    var others = document.querySelector("[data-role=queue-others]");
    // when the change was made, as every page writes a moment: 04/12/2026 21:10, Vietnam time
    var moment = function (iso) {
      try {
        return new Date(iso).toLocaleString("en-GB", { timeZone: list.dataset.tz, day: "2-digit", month: "2-digit",
          year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).replace(",", "");
      } catch (e) { return ""; }
    };
    var render = function () {
      Q.all().then(function (ops) {
        // a damaged record that lost its user is nobody else's either: listed to discard
        var own = ops.filter(function (op) { return op.user === Q.user || (op.corrupt && !op.user); });
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
      meta.textContent = op.corrupt ? op.raw : [op.where || "", op.created ? moment(op.created) : ""].filter(Boolean).join(" · ");
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
    var warning = document.querySelector("[data-role=queue-warning]");
    Q.on(function (event) {
      if (warning && (event.type === "login" || event.type === "done")) {  // the session ended: say so
        warning.hidden = event.type !== "login";
        warning.textContent = t("login_again");
      }
      if (event.type !== "sending") render();
    });
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
})();
