// The scenario editor (templates/author.html): the share link made absolute, after every
// check swaps a new one in.  No inline scripts anywhere: the CSP is script-src 'self'.
(function () {
  "use strict";

  // Written relative to the page (the Host header is not trusted), or absolute when the
  // server has a configured base URL; the browser knows its own origin.
  function absoluteShareLink() {
    var input = document.getElementById("author-share");
    if (input && input.value.charAt(0) === "/") input.value = location.origin + input.value;
  }

  document.addEventListener("DOMContentLoaded", absoluteShareLink);
  document.addEventListener("htmx:afterSettle", absoluteShareLink);
}());
