// People pages: the units a person heads are asked for only when the role is
// "department head" (the server refuses units for any other role either way).
(function () {
  "use strict";
  var role = document.querySelector("select[name=role]");
  var units = document.querySelector("[data-head-units]");
  if (!role || !units) { return; }
  function sync() {
    // A field with an error stays in view, whatever the role.
    units.hidden = role.value !== units.dataset.headUnits && !units.classList.contains("has-error");
  }
  role.addEventListener("change", sync);
  sync();
})();
