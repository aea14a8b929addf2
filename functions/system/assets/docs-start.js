// Starts Swagger UI on the served document. "Try it out" sends requests from the
// browser with the token or site key entered under "Authorize".
window.addEventListener("load", function () {
  window.SwaggerUIBundle({
    url: "/api/v1/schema",
    dom_id: "#api",
    deepLinking: true,
    persistAuthorization: false,
  });
});
