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
  }
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
