// Starts Swagger UI on the API reference page (docs.html). A file of its
// own, not an inline script, so that the page's Content-Security-Policy
// allows no inline script at all.
"use strict";

const root = document.getElementById("swagger-ui");

SwaggerUIBundle({
  domNode: root,
  url: root.dataset.specUrl,
  // /docs#/invitations opens the invitations tag, and
  // /docs#/invitations/listInvitations one operation in it.
  deepLinking: true,
  // Tags start closed: the list of them is the table of contents.
  docExpansion: "none",
  // An API key entered under Authorize lives only as long as the page:
  // never in localStorage, where any script of this origin could read it.
  persistAuthorization: false,
  displayRequestDuration: true,
  // The default would send the spec to validator.swagger.io for a badge.
  validatorUrl: null,
});
