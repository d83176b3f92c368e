// Page behaviour bound to data attributes, so that no page needs an inline script, event handler or
// style attribute (the Content Security Policy allows scripts and styles from this site only).
//   data-confirm="Question?"        a button that asks before it submits its form
//   data-autosubmit                 a select that submits its form when changed (the language switcher)
//   data-submit-once                a form whose submit button is disabled once it is sent
//   data-set-value="#id" data-value a button that fills a field (the till's "Use maximum")
//   data-bg="#c0c0c0"               a background colour (tier badges); data-width="42" a width in %
(function () {
  "use strict";

  function applyStyles(root) {
    root.querySelectorAll("[data-bg]").forEach(function (el) { el.style.background = el.dataset.bg; });
    root.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.dataset.width + "%"; });
  }

  document.addEventListener("click", function (event) {
    var asking = event.target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    var setter = event.target.closest("[data-set-value]");
    if (setter) {
      var field = document.querySelector(setter.dataset.setValue);
      if (field) { field.value = setter.dataset.value; }
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) { event.target.form.submit(); }
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches("[data-submit-once]")) {
      var button = event.target.querySelector("[type=submit]");
      if (button) { button.disabled = true; }
    }
  });
  if (window.htmx) {
    window.htmx.onLoad(applyStyles);  // the page, and every fragment htmx swaps in
  } else {
    document.addEventListener("DOMContentLoaded", function () { applyStyles(document); });
  }
})();
