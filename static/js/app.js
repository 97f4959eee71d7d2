// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // A year or unit picker reloads the page as soon as it changes.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // A ratio's two shares add up to 100: typing one fills in the other.
  function parse(text) { return parseFloat(String(text).replace(/\s/g, "").replace(",", ".")); }
  function format(number, like) {
    var text = String(Math.round(number * 10000) / 10000);
    return like.indexOf(",") >= 0 || like === "" ? text.replace(".", ",") : text;
  }
  document.querySelectorAll("[data-ratio]").forEach(function (box) {
    var inputs = box.querySelectorAll("input");
    if (inputs.length !== 2) { return; }
    [0, 1].forEach(function (i) {
      inputs[i].addEventListener("input", function () {
        var value = parse(inputs[i].value);
        var other = inputs[1 - i];
        if (!isNaN(value) && value >= 0 && value <= 100 && other.dataset.touched !== "yes") {
          other.value = format(100 - value, inputs[i].value);
        }
        inputs[i].dataset.touched = "yes";
      });
    });
  });

  // Warn before leaving the entry page with unsaved changes.
  var form = document.querySelector("form.entry-form");
  if (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
    keepTyped(form);
    // Enter in a value goes on to the next KPI's value, as in a spreadsheet, instead
    // of sending the form half-typed.
    var values = form.querySelectorAll("input[data-entry-value]");
    Array.prototype.forEach.call(values, function (input, i) {
      input.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") { return; }
        event.preventDefault();
        var next = values[i + 1];
        if (next) { next.focus(); next.select(); }
      });
    });
  }

  // What was typed is kept in this tab until the server confirms it was stored, so a
  // save that meets an ended session (the server sends the sign-in page instead) can
  // be offered back after signing in. The version each row was typed against goes
  // with it: a value someone changed meanwhile is refused, never overwritten.
  function keepTyped(entryForm) {
    var key = "metu-unsaved:" + location.pathname + location.search;
    var fields = function () {
      return Array.prototype.filter.call(entryForm.elements, function (el) {
        return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "file" &&
          el.type !== "submit" && el.type !== "button";
      });
    };
    entryForm.addEventListener("submit", function () {
      var typed = {};
      fields().forEach(function (el) {
        typed[el.name] = el.type === "checkbox" ? el.checked : el.value;
      });
      try { sessionStorage.setItem(key, JSON.stringify(typed)); } catch (e) { /* full */ }
    });
    var stored = sessionStorage.getItem(key);
    if (!stored) { return; }
    if (document.querySelector(".message-success, .message-info, .message-error")) {
      sessionStorage.removeItem(key);  // the server answered this save, one way or another
      return;
    }
    var offer = document.getElementById("restore-typed");
    if (!offer) { return; }
    offer.hidden = false;
    offer.querySelector("[data-restore]").addEventListener("click", function () {
      var typed = JSON.parse(stored);
      fields().forEach(function (el) {
        if (!(el.name in typed)) { return; }
        if (el.type === "checkbox") { el.checked = typed[el.name]; } else { el.value = typed[el.name]; }
      });
      offer.hidden = true;
      dirty = true;
    });
    offer.querySelector("[data-discard]").addEventListener("click", function () {
      sessionStorage.removeItem(key);
      offer.hidden = true;
    });
  }

  // Signing out forgets what this tab kept.
  document.querySelectorAll("form[action$='/accounts/logout/']").forEach(function (out) {
    out.addEventListener("submit", function () {
      Object.keys(sessionStorage).forEach(function (name) {
        if (name.indexOf("metu-unsaved:") === 0) { sessionStorage.removeItem(name); }
      });
    });
  });
})();

// The matrix prints on A3 landscape (see @page in app.css).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});

// Review: one box ticks every value on the page (shown only when scripts run).
document.querySelectorAll("[data-select-all]").forEach(function (box) {
  var label = box.closest("label");
  if (label) { label.hidden = false; }
  box.addEventListener("change", function () {
    document.querySelectorAll("input[type=checkbox][name='" + box.dataset.selectAll + "']")
      .forEach(function (item) { item.checked = box.checked; });
  });
});
