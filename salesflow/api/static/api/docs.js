/* Starts Swagger UI on /api/v1/docs from a JSON settings block (no inline script, CSP). A
   browser session calls the API with its cookie, so writes send the CSRF token as a header. */
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrfToken = document.body.dataset.csrfToken;
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis];
  settings.requestInterceptor = function (request) {
    if (csrfToken && !/^(GET|HEAD|OPTIONS)$/i.test(request.method || "GET")) {
      request.headers["X-CSRFToken"] = csrfToken;
    }
    return request;
  };
  window.ui = SwaggerUIBundle(settings);
})();
