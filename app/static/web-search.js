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

  // Completions while typing: holder names, document types, agencies, result numbers from the
  // index (the page's datalist; without JavaScript the box is a plain search box).
  var list = document.getElementById("q-suggestions");
  var suggestUrl = box && box.getAttribute("data-suggest-url");
  var timer = null;
  var asked = "";
  function fill(items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.text;
      option.label = item.text + " (" + item.count + ")";
      list.appendChild(option);
    });
  }
  function ask() {
    var q = box.value.trim();
    if (q.length < 2 || q === asked) { return; }
    asked = q;
    fetch(suggestUrl + "?q=" + encodeURIComponent(q), {credentials: "same-origin",
                                                       headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {suggestions: []}; })
      .then(function (body) { if (box.value.trim() === q) { fill(body.suggestions || []); } })
      .catch(function () { fill([]); });
  }
  if (box && list && suggestUrl && window.fetch) {
    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });
  }

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
