/* salesflow customers: "select all" for the bulk-assign checkboxes of the customer list
   (no inline script under the Content-Security-Policy). */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-sf-check-all")) {
      return;
    }
    var name = box.getAttribute("data-sf-check-all");
    var scope = box.form || document;
    scope.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (item) {
      item.checked = box.checked;
    });
  });
})();
