// Page behaviour bound to data attributes, so that no page needs an inline script, event handler or
// style attribute (the Content Security Policy allows scripts and styles from this site only).
//   data-confirm="Question?"        a button that asks before it submits its form
//   data-autosubmit                 a select that submits its form when changed (the language switcher)
//   data-points-per-variant="#id"   variant rows that, once filled, disable the campaign's own points field
//   data-submit-once                a form whose submit buttons are disabled once it is sent
//   data-focus-empty                a form whose first empty field gets the focus on load (enrolment)
//   data-print                      a button that prints the page (the print stylesheet keeps the receipt)
//   data-set-value="#id" data-value a button that fills a field (the till's "Use maximum")
//   data-bg="#c0c0c0"               a background colour (tier badges); data-width="42" a width in %
(function () {
  "use strict";

  function applyStyles(root) {
    root.querySelectorAll("[data-bg]").forEach(function (el) { el.style.background = el.dataset.bg; });
    root.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.dataset.width + "%"; });
  }

  function focusFirstEmpty() {
    document.querySelectorAll("form[data-focus-empty]").forEach(function (form) {
      var fields = form.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea");
      for (var i = 0; i < fields.length; i++) {
        if (!fields[i].value) { fields[i].focus(); return; }
      }
    });
  }

  document.addEventListener("click", function (event) {
    var asking = event.target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (event.target.closest("[data-print]")) {
      window.print();
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
  // data-points-per-variant="#id_points" on the variant rows: while any row has a code or points, the
  // campaign's own points field is disabled with its hint (the variants' points are what is granted).
  function pointsPerVariant(rows) {
    var field = document.querySelector(rows.dataset.pointsPerVariant);
    if (!field) { return; }
    var filled = Array.prototype.some.call(
      rows.querySelectorAll("input[name$='-code'], input[name$='-points']"),
      function (input) { return input.value.trim() !== ""; }
    );
    field.disabled = filled;
    var hint = document.getElementById("points-per-variant");
    if (hint) { hint.hidden = !filled; }
  }
  document.addEventListener("input", function (event) {
    var rows = event.target.closest("[data-points-per-variant]");
    if (rows) { pointsPerVariant(rows); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-points-per-variant]").forEach(pointsPerVariant);
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches("[data-submit-once]")) {
      // After the form's data is taken: a button disabled during this event would drop its name=value.
      var form = event.target;
      window.setTimeout(function () {
        form.querySelectorAll("[type=submit]").forEach(function (button) { button.disabled = true; });
      }, 0);
    }
  });
  if (window.htmx) {
    window.htmx.onLoad(applyStyles);  // the page, and every fragment htmx swaps in
  } else {
    document.addEventListener("DOMContentLoaded", function () { applyStyles(document); });
  }
  document.addEventListener("DOMContentLoaded", focusFirstEmpty);
})();
