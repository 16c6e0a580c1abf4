/* salesflow planning: the print button of the printable sheets (no inline script under CSP). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-sf-print]")) {
      window.print();
    }
  });
})();
