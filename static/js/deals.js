/* salesflow deals: "增加一行" for the quote lines formset and the print button of the quote
   page (no inline script under the Content-Security-Policy). */
(function () {
  "use strict";

  function addRow(table) {
    var prefix = table.getAttribute("data-sf-formset");
    var total = document.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var rows = table.querySelectorAll("[data-sf-formset-row]");
    if (!total || !rows.length) {
      return;
    }
    var index = parseInt(total.value, 10);
    var clone = rows[rows.length - 1].cloneNode(true);
    var pattern = new RegExp(prefix + "-\\d+-", "g");
    clone.querySelectorAll("input, select, label").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(pattern, prefix + "-" + index + "-"));
        }
      });
      if (el.tagName === "INPUT") {
        if (el.type === "checkbox") {
          el.checked = false;
        } else {
          el.value = "";
        }
      } else if (el.tagName === "SELECT") {
        el.selectedIndex = 0;
      }
    });
    clone.querySelectorAll(".invalid-feedback").forEach(function (el) {
      el.remove();
    });
    rows[rows.length - 1].parentNode.appendChild(clone);
    total.value = String(index + 1);
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    var adder = target.closest("[data-sf-add-row]");
    if (adder) {
      var table = document.getElementById(adder.getAttribute("data-sf-add-row"));
      if (table) {
        addRow(table);
      }
      return;
    }
    if (target.closest("[data-sf-print]")) {
      window.print();
    }
  });
})();
