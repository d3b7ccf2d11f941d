// Starts Swagger UI on the API reference page (docs.html). A file of its
// own, not an inline script, so that the page's Content-Security-Policy
// allows no inline script at all.
"use strict";

// thisServer makes "Try it out" call the server that served the page. The
// spec names the server by its public URL (INVITED_PUBLIC_URL), which the
// page may be opened under another name than (127.0.0.1 for localhost, a
// container's published port); the CSP (connect-src 'self') would then
// block every call.
function thisServer() {
  return {
    statePlugins: {
      spec: {
        wrapActions: {
          updateJsonSpec: (update) => (spec) =>
            update({ ...spec, servers: [{ url: window.location.origin }] }),
        },
      },
    },
  };
}

const root = document.getElementById("swagger-ui");

SwaggerUIBundle({
  domNode: root,
  url: root.dataset.specUrl,
  plugins: [thisServer],
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
