// The API's interactive page: Swagger UI from this site's own files, configured from the JSON the page
// carries (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  SwaggerUIBundle(config);
})();
