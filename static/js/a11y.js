// Keyboard and screen-reader focus (no inline handlers: CSP).
// 1. After a failed submit the page comes back with the errors: focus the first invalid field
//    (its label and error are read out, the error is linked by aria-describedby).
// 2. After an htmx swap, focus does not fall back to the page: it goes to the element marked
//    data-focus-here in the new content, or back to the element with the id that had it.
(function () {
  "use strict";

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  }

  function focusOn(el) {
    if (!el) return false;
    if (!el.matches("a[href], button, input, select, textarea, summary, [tabindex]")) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus();
    return document.activeElement === el;
  }

  function focusFirstProblem(root) {
    var marked = root.querySelector("[data-focus-here]");
    if (marked) {
      marked.removeAttribute("data-focus-here");
      if (focusOn(marked)) return;
    }
    var invalid = Array.prototype.filter.call(
      root.querySelectorAll('[aria-invalid="true"]'), visible);
    if (invalid.length) {
      focusOn(invalid[0]);
      return;
    }
    var summary = root.querySelector("[data-error-summary]");
    if (summary && visible(summary)) focusOn(summary);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var main = document.getElementById("content");
    if (main) focusFirstProblem(main);
  });

  // htmx: remember which element (by id) had focus inside what is about to be swapped.
  var lostId = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    lostId = null;
    if (target && active && active !== document.body && target.contains(active)) {
      lostId = active.id || (target.id || null);
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var marked = document.querySelector("[data-focus-here]");
    if (marked) {
      marked.removeAttribute("data-focus-here");
      focusOn(marked);
    } else if (lostId && (document.activeElement === document.body || !document.activeElement)) {
      focusOn(document.getElementById(lostId));
    }
    lostId = null;
  });
})();
