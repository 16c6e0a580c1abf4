/* Lead pages: "select all" for bulk assignment and "再加一行" on the needs-match form without a
   round trip (the button still works as a plain submit when this script does not run). */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-select-all")) {
      return;
    }
    var name = box.getAttribute("data-select-all");
    var form = box.form || box.closest("form") || document;
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (item) {
      item.checked = box.checked;
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-add-need-row]") : null;
    if (!button || !button.form) {
      return;
    }
    var form = button.form;
    var list = form.querySelector("[data-need-rows]");
    var rowsInput = form.querySelector('input[name="rows"]');
    var rows = list ? list.querySelectorAll("[data-need-row]") : [];
    if (!list || !rowsInput || !rows.length) {
      return; // fall back to the server-side "add a row"
    }
    event.preventDefault();
    var index = rows.length;
    var last = rows[rows.length - 1];
    var copy = last.cloneNode(true);
    copy.querySelectorAll("input, textarea, select").forEach(function (field) {
      field.name = field.name.replace(/_\d+$/, "_" + index);
      if (field.id) {
        field.id = field.id.replace(/_\d+$/, "_" + index);
      }
      field.value = "";
      field.classList.remove("is-invalid");
    });
    copy.querySelectorAll("label[for]").forEach(function (label) {
      label.htmlFor = label.htmlFor.replace(/_\d+$/, "_" + index);
    });
    copy.querySelectorAll(".invalid-feedback").forEach(function (error) {
      error.remove();
    });
    var number = copy.querySelector("[data-row-number]");
    if (number) {
      number.textContent = String(index + 1);
    }
    list.appendChild(copy);
    rowsInput.value = String(index + 1);
    var first = copy.querySelector("input");
    if (first) {
      first.focus();
    }
  });
})();
