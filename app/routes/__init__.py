"""HTTP routes: pages (HTML, page or htmx fragment) and the JSON API."""
