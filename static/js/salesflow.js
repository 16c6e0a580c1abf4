/* salesflow: the only first-party script (the Content-Security-Policy allows no inline script).
   Loaded with `defer` after Bootstrap and htmx. */
(function () {
  "use strict";

  /* htmx: inline <style> for indicators and eval-based features are blocked by the CSP anyway;
     turn them off so that nothing tries (the indicator styles are in salesflow.css). The CSRF
     token is sent by the hx-headers attribute on <body>. */
  if (window.htmx) {
    window.htmx.config.includeIndicatorStyles = false;
    window.htmx.config.allowEval = false;
    window.htmx.config.allowScriptTags = false;
  }

  /* data-confirm="…" on a form, or on a submit button / link: ask before going on. */
  function confirmed(message) {
    return !message || window.confirm(message);
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) {
        return;
      }
      var submitter = event.submitter;
      var message =
        (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
      if (submitter && submitter.hasAttribute("data-confirm") && submitter.dataset.sfConfirmed) {
        delete submitter.dataset.sfConfirmed; // already asked on click
        return;
      }
      if (!confirmed(message)) {
        event.preventDefault();
        event.stopImmediatePropagation(); // htmx-powered forms must not send either
      }
    },
    true
  );

  document.addEventListener(
    "click",
    function (event) {
      var element = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
      if (!element || element instanceof HTMLFormElement) {
        return;
      }
      var isSubmit =
        (element instanceof HTMLButtonElement && element.type === "submit" && element.form) ||
        (element instanceof HTMLInputElement && element.type === "submit" && element.form);
      if (!confirmed(element.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      if (isSubmit) {
        element.dataset.sfConfirmed = "1"; // the submit handler must not ask a second time
      }
    },
    true
  );

  /* A failed htmx request says so instead of doing nothing. */
  function showRequestError() {
    var box = document.getElementById("sf-request-errors");
    if (!box) {
      return;
    }
    var text = document.body.getAttribute("data-request-error") || "Request failed.";
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible fade show";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "×");
    alert.appendChild(close);
    box.replaceChildren(alert);
  }

  document.addEventListener("htmx:responseError", showRequestError);
  document.addEventListener("htmx:sendError", showRequestError);
})();
