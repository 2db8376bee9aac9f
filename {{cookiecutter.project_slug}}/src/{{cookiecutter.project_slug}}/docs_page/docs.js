// Starts Swagger UI on this service's OpenAPI description (a file, not an inline script, so
// that the page's content security policy needs no 'unsafe-inline'). URLs are relative to
// /docs, so the page also works under a path prefix.
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  displayOperationId: true, // listUsers, getHealth, ...: the names generated clients use
  validatorUrl: null, // no badge fetched from an outside validator
});
