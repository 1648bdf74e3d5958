// comark's small progressive enhancements. Everything works without this file.
(function () {
  "use strict";
  // Move keyboard focus to the main content after a boosted navigation, so screen readers
  // announce the new page.
  document.addEventListener("htmx:afterSettle", function () {
    var main = document.getElementById("main");
    if (main) { main.focus({ preventScroll: true }); }
  });
  // htmx requests carry the CSRF token from the page's first form.
  document.addEventListener("htmx:configRequest", function (event) {
    var field = document.querySelector("input[name=_csrf]");
    if (field) { event.detail.headers["X-CSRF-Token"] = field.value; }
  });
})();
