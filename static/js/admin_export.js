// Binds django-import-export's "select all" box without an inline handler (CSP).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input.select-toggle").forEach(function (box) {
    if (typeof onSelectToggleChange === "function") {
      box.addEventListener("change", onSelectToggleChange);
    }
  });
});
