/* Reading and writing numbers the way the user's language does: the browser half of
 * inspect_app.domain.numbers.read_number (the same rules, line for line; a test runs both
 * on one table). The marks come from the server (Babel): {decimal: ",", group: "."} in
 * Vietnamese, so that 3.200 = 3200, 3,5 = 3.5 and 3.350,5 = 3350.5; English the reverse.
 *
 *   InspectNumbers.read(text, marks, whole) -> {value, plain} or {error, readings}
 *     error: "not_a_number" | "two_readings" | "other_way" | "not_whole";
 *     readings and plain are exact decimal strings ("3350.5").
 *   InspectNumbers.format(number, marks)   -> "3.350,5" (up to 6 decimals, grouped)
 *   InspectNumbers.explain(result, text, marks, i18n) -> the message to show
 */
(function (root) {
  "use strict";

  var SPACES = [" ", "\u00a0", "\u202f", "\u2009"];
  var MINUS = "-\u2212";

  function count(text, ch) { return text.split(ch).length - 1; }

  /* "007", "50" -> the exact decimal spelling Python's format(normalize(), "f") gives. */
  function plain(whole, fraction) {
    whole = whole.replace(/^0+(?=\d)/, "") || "0";
    fraction = (fraction || "").replace(/0+$/, "");
    return fraction ? whole + "." + fraction : whole;
  }

  function isWhole(text) { return text.indexOf(".") < 0; }

  function readWith(body, decimal, group) {
    if (count(body, decimal) > 1) return null;
    var at = body.indexOf(decimal);
    var whole = at < 0 ? body : body.slice(0, at);
    var fraction = at < 0 ? "" : body.slice(at + 1);
    if (fraction.indexOf(group) >= 0 || (at >= 0 && !fraction)) return null;
    if (whole.indexOf(group) >= 0) {
      var parts = whole.split(group);
      if (parts[0].length < 1 || parts[0].length > 3) return null;
      for (var i = 1; i < parts.length; i++) if (parts[i].length !== 3) return null;
      whole = parts.join("");
    }
    if (!(whole || fraction) || !/^[0-9]+$/.test(whole + fraction)) return null;
    return plain(whole || "0", fraction);
  }

  function read(text, marks, whole) {
    var decimal = marks.decimal, group = marks.group;
    var raw = String(text).trim(), body = raw, sign = "";
    if (body && MINUS.indexOf(body[0]) >= 0) { sign = "-"; body = body.slice(1).replace(/^\s+/, ""); }
    else if (body[0] === "+") body = body.slice(1).replace(/^\s+/, "");
    SPACES.forEach(function (space) { body = body.split(space).join(group); });
    var allowed = "0123456789" + decimal + group;
    var bad = !body || body.split("").some(function (ch) { return allowed.indexOf(ch) < 0; });
    if (bad) return { error: "not_a_number", readings: [] };
    var mine = readWith(body, decimal, group);
    var theirs = readWith(body, group, decimal);  // the other convention, marks swapped
    if (mine !== null) {
      if (mine === "0") sign = "";  // -0 is 0, as the server reads it
      if (whole && !isWhole(mine)) {
        if (theirs !== null && isWhole(theirs)) return { error: "two_readings", readings: [sign + mine, sign + theirs] };
        return { error: "not_whole", readings: [sign + mine] };
      }
      return { value: Number(sign + mine), plain: sign + mine };
    }
    if (theirs !== null) {
      var marksUsed = {};
      body.split("").forEach(function (ch) { if (!/[0-9]/.test(ch)) marksUsed[ch] = true; });
      var joined = plain(body.replace(/[^0-9]/g, ""), "");
      if (Object.keys(marksUsed).length === 1 && count(body, group) === 1 && joined !== theirs) {
        return { error: "two_readings", readings: [sign + theirs, sign + joined] };
      }
      return { error: "other_way", readings: [sign + theirs] };
    }
    return { error: "not_a_number", readings: [] };
  }

  /* An exact decimal string or a number, grouped with the locale's marks. */
  function format(number, marks) {
    if (number === null || number === undefined || number === "") return "";
    var text = typeof number === "string" ? number : null;
    if (text === null) {
      if (!isFinite(number) || Math.abs(number) >= 1e18) return String(number);
      text = number.toFixed(6).replace(/\.?0+$/, "");
    }
    var sign = text[0] === "-" ? "-" : "";
    if (sign) text = text.slice(1);
    var parts = text.split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, marks.group);
    return sign + whole + (parts[1] ? marks.decimal + parts[1] : "");
  }

  function fill(template, params) {
    return String(template).replace(/%\((\w+)\)s/g, function (all, key) {
      return params[key] !== undefined ? params[key] : all;
    });
  }

  function explain(result, text, marks, i18n) {
    var r = (result.readings || []).map(function (x) { return format(x, marks); });
    var params = { text: String(text).trim(), first: r[0], second: r[1], reading: r[0],
                   example: format("1234.5", marks) };
    return fill(i18n["num_" + result.error] || result.error, params);
  }

  var api = { read: read, format: format, explain: explain, fill: fill };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.InspectNumbers = api;
})(this);
