// comark's small progressive enhancements. Everything works without this file.
(function () {
  "use strict";
  // After a boosted navigation, move keyboard focus to the first field with an error, or
  // else to the main content, so screen readers announce what changed.
  document.addEventListener("htmx:afterSettle", function () {
    var target = document.querySelector("[aria-invalid=true]") || document.getElementById("main");
    if (target) { target.focus({ preventScroll: true }); }
  });
  // htmx requests carry the CSRF token from the page's first form.
  document.addEventListener("htmx:configRequest", function (event) {
    var field = document.querySelector("input[name=_csrf]");
    if (field) { event.detail.headers["X-CSRF-Token"] = field.value; }
  });
})();
