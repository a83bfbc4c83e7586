// mmlock walkthroughs: the keys a presentation clicker sends, the notes window that follows
// the presenter's, and the "back to the walkthrough" line once the learner explores.
(function () {
  "use strict";

  function follow(rel) {
    var a = document.querySelector('a[rel="' + rel + '"]') || (rel === "next" && document.getElementById("w-reveal"));
    if (a) location.href = a.href;
  }

  // Capture phase: on a walkthrough page ← and → change stop (the player's own ← is Backspace here).
  window.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.closest && t.closest("input, textarea, select, dialog[open], summary")) return;
    var role = document.querySelector("[data-sync]");
    if (!role) return;
    var present = role.dataset.role === "present";
    var next = e.key === "ArrowRight" || e.key === "PageDown" || (present && e.key === " ");
    var prev = e.key === "ArrowLeft" || e.key === "PageUp";
    if (next || prev) {
      e.preventDefault();
      e.stopPropagation();
      follow(next ? "next" : "prev");
    } else if (present && e.key === "n") {
      e.preventDefault();
      window.open(role.dataset.notes, "mmlock-notes");
    } else if (present && e.key === "Escape") {
      location.href = document.getElementById("p-exit").href;
    }
  }, true);

  // The presenter's window and the notes window tell each other where they are.
  var channel = "BroadcastChannel" in window ? new BroadcastChannel("mmlock-walkthrough") : null;
  document.addEventListener("DOMContentLoaded", function () {
    var me = document.querySelector("[data-sync][data-role]");
    if (!me || !channel) return;
    channel.onmessage = function (e) {
      var m = e.data || {};
      if (m.sync && m.sync !== me.dataset.sync && m.from !== me.dataset.role) {
        location.replace(me.dataset.role === "notes" ? m.notes : m.present);
      }
    };
    channel.postMessage({ sync: me.dataset.sync, from: me.dataset.role, notes: me.dataset.notes,
                          present: me.dataset.present });
  });

  // Stepping a thread swaps the player's stage under the caption: say how to come back.
  document.addEventListener("htmx:afterSettle", function () {
    var caption = document.querySelector(".w-caption[data-run]");
    var stage = document.getElementById("stage");
    var away = document.getElementById("w-away");
    if (!caption || !stage || !away) return;
    away.hidden = stage.dataset.run === caption.dataset.run && stage.dataset.variant === caption.dataset.variant;
  });
}());
