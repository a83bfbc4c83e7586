// The API explorer on /docs: Swagger UI (copied from npm into static/vendor at install
// time) over the app's own /openapi.json.  No remote validator badge: the page talks to
// this server only, as its CSP says.  No deep links: they put a link inside each
// operation's toggle button, a control nested in a control.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: false,
    docExpansion: "list",
    defaultModelsExpandDepth: -1,
    displayRequestDuration: true,
    validatorUrl: null,
  });
});
