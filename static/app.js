// mmlock player: keyboard, copy link, focus after htmx swaps, narration live region.
// No inline scripts anywhere: the CSP is script-src 'self'.
(function () {
  "use strict";

  function stage() { return document.getElementById("stage"); }

  function announce() {
    var s = stage();
    var live = document.getElementById("narration");
    if (!s || !live) return;
    live.textContent = s.dataset.narration || "";
    if (s.dataset.title) document.title = s.dataset.title;
  }

  function centreCurrentLines(root) {
    root.querySelectorAll(".code").forEach(function (box) {
      var line = box.querySelector("li.current");
      if (line) box.scrollTop = line.offsetTop - box.clientHeight / 2;
    });
  }

  function follow(el) {
    if (!el || el.getAttribute("aria-disabled") === "true") return;
    var s = stage();
    if (s && s.classList.contains("htmx-settling")) {
      // a stage just swapped in has no live links until htmx settles it: a click now would
      // load a whole page (and leave an exercise), so the key waits for the settle
      document.addEventListener("htmx:afterSettle", function () { el.click(); }, { once: true });
      return;
    }
    el.click();
  }

  var lastControl = null;

  document.addEventListener("click", function (e) {
    var a = e.target.closest("#stage a[id]");
    if (a) lastControl = a.id;
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var input = document.querySelector(copy.dataset.copy);
      var status = copy.parentElement.querySelector(".copy-status");
      input.select();
      var done = function () { if (status) status.textContent = "Link copied."; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          if (status) status.textContent = "Select the link and copy it (Ctrl+C).";
        });
      } else {
        document.execCommand("copy");
        done();
      }
    }
    if (e.target.closest("[data-keys-open]")) document.getElementById("keys").showModal();
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.closest && t.closest("input, textarea, select, dialog[open]")) return;
    var s = stage();
    if (!s) return;
    var key = e.key;
    if (key === "?") {
      e.preventDefault();
      document.getElementById("keys").showModal();
    } else if (key === "Backspace" || key === "ArrowLeft") {
      var back = s.querySelector("#back");
      if (back) { e.preventDefault(); lastControl = "back"; follow(back); }
    } else if (key === "r") {
      var restart = s.querySelector("#restart");
      if (restart) { e.preventDefault(); lastControl = "restart"; follow(restart); }
    } else if (/^[a-z]$/.test(key)) {
      var step = s.querySelector('a[data-key="' + key + '"]');
      if (step) { e.preventDefault(); lastControl = step.id; follow(step); }
    }
  });

  // The share link is written relative to the page (the Host header is not trusted), or
  // absolute when the server has a configured base URL; the browser knows its own origin.
  function absoluteShareLink() {
    var input = document.getElementById("share-link");
    if (input && input.value.charAt(0) === "/") input.value = location.origin + input.value;
  }

  // An explorer answer swapped in below the sticky control bar: bring it into view under
  // the bar, not behind it, and move focus to it so a screen reader reads it next.
  function reveal(el) {
    var bar = document.querySelector("#stage .controls");
    var covered = bar && getComputedStyle(bar).position === "sticky" ? bar.offsetHeight : 0;
    el.style.scrollMarginTop = (covered + 8) + "px";
    el.scrollIntoView({ block: "start" });
    el.focus({ preventScroll: true });
  }

  document.addEventListener("htmx:afterSettle", function (e) {
    if (!stage()) return;
    var swapped = e.detail && e.detail.target;
    var answer = document.getElementById("explore-result");
    if (swapped && swapped.id === "explore-result" && answer && answer.firstElementChild) { reveal(answer); return; }
    var s = stage();
    announce();
    absoluteShareLink();
    if (s.hasAttribute("data-keep-focus")) return;   // a page polling for results: leave focus alone
    centreCurrentLines(s);
    var again = lastControl && document.getElementById(lastControl);
    if (again && again.tagName === "A") again.focus({ preventScroll: true });
    else s.focus({ preventScroll: true });
  });

  document.addEventListener("htmx:historyRestore", function () {
    announce();
    centreCurrentLines(document);
  });

  document.addEventListener("DOMContentLoaded", function () {
    centreCurrentLines(document);
    absoluteShareLink();
    var s = stage();
    if (s) document.getElementById("narration").textContent = "";
  });
}());
