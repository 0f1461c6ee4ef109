// Staff search page: small speed-ups on top of a page that works fully without JavaScript.
(function () {
  "use strict";
  var form = document.querySelector("form.search-box");
  if (!form) { return; }
  var box = form.querySelector("#q");

  // A filter applies as soon as it is picked (the "Áp dụng bộ lọc" button stays for no-JS use).
  // Dates are left out: a half-typed date must not fire a search.
  form.querySelectorAll("select, input[type=checkbox]").forEach(function (field) {
    field.addEventListener("change", function () { form.requestSubmit(); });
  });

  // Empty fields stay out of the address, so links to a search are short and readable.
  form.addEventListener("submit", function () {
    form.querySelectorAll("select, input").forEach(function (field) {
      if (field.name && !field.value) { field.disabled = true; }
    });
  });
  // Coming back with the browser's Back button restores the page as it was left: re-enable.
  window.addEventListener("pageshow", function () {
    form.querySelectorAll("[disabled]").forEach(function (field) { field.disabled = false; });
  });

  // "/" jumps to the search box from anywhere on the page, as in most search tools.
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.key === "/" && box && tag !== "input" && tag !== "select" && tag !== "textarea") {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
}());
