/* salesflow targets: the print button of the printable weekly/monthly report. Loaded with
   `defer`; no inline script (strict Content-Security-Policy). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-sf-print]")) {
      window.print();
    }
  });
})();
