// mmlock exercises: Check without leaving the page, hints one at a time, the exercise URL kept
// while the player steps, the key x, and progress kept in this browser (localStorage).
// No inline scripts anywhere: the CSP is script-src 'self'. Without JavaScript the pages
// still work: Check is a form that posts, hints are <details>, the solution a link.
(function () {
  "use strict";

  var PREFIX = "mmlock.progress.";

  // -- progress: one localStorage key per exercise part, {passed, when} ----------------------
  function load(name) {
    try {
      var v = JSON.parse(localStorage.getItem(PREFIX + name) || "null");
      return v && typeof v.passed === "boolean" ? v : null;
    } catch (e) { return null; }
  }

  function save(name, value) {
    try { localStorage.setItem(PREFIX + name, JSON.stringify(value)); } catch (e) { /* storage off: nothing kept */ }
  }

  function record(name, passed) {
    var old = load(name);
    if (old && old.passed && !passed) return;      // a later wrong answer does not undo a solve
    save(name, { passed: passed, when: new Date().toISOString() });
  }

  function allProgress() {
    var out = {};
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(PREFIX) === 0) {
          var v = load(key.slice(PREFIX.length));
          if (v) out[key.slice(PREFIX.length)] = v;
        }
      }
    } catch (e) { /* storage off */ }
    return out;
  }

  function fillProgress() {
    document.querySelectorAll("[data-progress]").forEach(function (el) {
      var names = el.dataset.progress.split(" ").filter(Boolean);
      var got = names.map(load);
      var passed = got.filter(function (v) { return v && v.passed; }).length;
      var tried = got.filter(Boolean).length;
      var text = "not started", kind = "none";
      if (names.length && passed === names.length) { text = "✓ solved"; kind = "solved"; }
      else if (passed) { text = passed + " of " + names.length + " parts solved"; kind = "partial"; }
      else if (tried) { text = "tried, not solved yet"; kind = "tried"; }
      el.textContent = text;
      el.className = "progress " + kind;
    });
    summarise();
  }

  // "3 of 45 parts solved (2 of 25 exercises)" over the exercises this list shows
  function summarise() {
    var out = document.getElementById("progress-summary");
    if (!out) return;
    var parts = 0, solvedParts = 0, exercises = 0, solvedExercises = 0;
    document.querySelectorAll(".x-progress [data-progress]").forEach(function (el) {
      var names = el.dataset.progress.split(" ").filter(Boolean);
      var passed = names.filter(function (n) { var v = load(n); return v && v.passed; }).length;
      parts += names.length; solvedParts += passed;
      exercises += 1; solvedExercises += passed === names.length ? 1 : 0;
    });
    out.textContent = solvedParts + " of " + parts + " parts solved (" + solvedExercises + " of " + exercises +
      " exercise" + (exercises === 1 ? "" : "s") + ") in this browser.";
    out.hidden = false;
  }

  // -- the exercise URL while the player steps ------------------------------------------------
  function wrapper() { return document.querySelector("#player[data-exercise]"); }
  function stage() { return document.getElementById("stage"); }

  function expand(run) {
    return (run || "").replace(/([A-Z])([0-9]*)/g, function (_, t, n) { return t.repeat(n ? Number(n) : 1); });
  }

  function exerciseUrl(w, run) {
    var q = [];
    if (w.dataset.part) q.push("part=" + encodeURIComponent(w.dataset.part));
    if (run) q.push("run=" + encodeURIComponent(run));
    q.push("h=" + encodeURIComponent(w.dataset.digest));
    if (w.dataset.seed) q.push("seed=" + encodeURIComponent(w.dataset.seed));
    return "/x/" + w.dataset.exercise + "?" + q.join("&");
  }

  function inExercise(w, where) {
    return where.scenario === w.dataset.scenario && where.variant === w.dataset.variant &&
      expand(where.run).indexOf(w.dataset.prefix) === 0;
  }

  // Keep the address an exercise URL: htmx has just pushed the player's URL of the state it
  // is loading (/s/{scenario}?v=&run=), before the swap; replace it with the exercise's.
  function keepUrl(where) {
    var w = wrapper();
    if (!w || !inExercise(w, where)) return;
    var url = exerciseUrl(w, where.run);
    if (location.pathname + location.search !== url) history.replaceState(history.state, "", url);
  }

  function onPushed(e) {
    var url = new URL(e.detail.path, location.origin);
    var m = /^\/s\/([^/]+)$/.exec(url.pathname);
    if (m) keepUrl({ scenario: m[1], variant: url.searchParams.get("v") || "", run: url.searchParams.get("run") || "" });
  }

  // Once a stage is in: the run Check sends, the share link and the title follow it.
  function sync() {
    var w = wrapper(), s = stage();
    if (!w || !s || s.dataset.run === undefined) return;
    var run = s.dataset.run, inside = inExercise(w, s.dataset);
    var field = document.getElementById("check-run");
    if (field) field.value = run;
    var text = document.getElementById("check-run-text");
    if (text) text.textContent = run || "no steps yet";
    var outside = document.getElementById("check-outside");
    if (outside) outside.hidden = inside;
    if (!inside) return;
    keepUrl(s.dataset);
    var share = document.getElementById("share-link");
    if (share) { share.value = location.origin + exerciseUrl(w, run); share.dataset.href = exerciseUrl(w, run); }
    document.title = w.dataset.title + " · step " + s.dataset.step + " · mmlock";
  }

  // -- Check ----------------------------------------------------------------------------------
  function playerLink(s) {
    return "/s/" + s.dataset.scenario + "?v=" + encodeURIComponent(s.dataset.variant) +
      "&run=" + encodeURIComponent(s.dataset.run || "");
  }

  function typedOrShown(form, body) {
    var typed = form.elements.answer ? form.elements.answer.value.trim() : "";
    if (/^(\/|https?:)/.test(typed)) body.link = typed;
    else if (typed) body.schedule = typed;
    else body.link = playerLink(stage());
    return body;
  }

  function picked(form, name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : "";
  }

  // The JSON the API takes, or a sentence saying what is missing.
  function answerOf(form) {
    var body = {};
    if (form.dataset.part) body.part = form.dataset.part;
    var kind = form.dataset.kind;
    if (kind === "predict") {
      if (!picked(form, "choice")) return "Pick one of the choices first.";
      body.choice = picked(form, "choice");
      return body;
    }
    if (kind === "fix") {
      body.checks = Array.prototype.map.call(form.querySelectorAll('input[name="checks"]:checked'),
        function (el) { return el.value; });
      return body;
    }
    if (kind === "prove") {
      var claim = picked(form, "claim");
      if (!claim) return "Pick a claim first: unreachable, or that a schedule reaches it.";
      if (claim === "unreachable") { body.claim = claim; return body; }
    }
    return typedOrShown(form, body);
  }

  function show(form, kind, sentence, link, linkText) {
    var box = document.getElementById("check-result");
    box.className = "check-result " + kind;
    box.textContent = "";
    var p = document.createElement("p");
    var mark = document.createElement("strong");
    mark.textContent = { pass: "✓ ", fail: "✗ ", problem: "! " }[kind];
    mark.setAttribute("aria-hidden", "true");
    p.appendChild(mark);
    p.appendChild(document.createTextNode(sentence));
    box.appendChild(p);
    var ways = [];
    if (link) ways.push([linkText, link]);
    if (kind === "pass" && form.dataset.nextHref) ways.push([form.dataset.nextText, form.dataset.nextHref]);
    ways.forEach(function (w) {
      var a = document.createElement("a");
      a.href = w[1];
      a.textContent = w[0];
      a.className = "button";
      box.appendChild(a);
    });
    var r = box.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) box.scrollIntoView({ block: "nearest" });
  }

  function check(form) {
    var body = answerOf(form);
    if (typeof body === "string") { show(form, "problem", body); return; }
    var linkText = form.dataset.kind === "predict" ? "See the step taken" : "Open the run you sent";
    fetch(form.dataset.api, { method: "POST", body: JSON.stringify(body),
                              headers: { "Content-Type": "application/json", "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (j) { return [r, j]; }); })
      .then(function (rj) {
        var r = rj[0], j = rj[1];
        if (r.ok) {
          record(form.dataset.name, j.pass);
          fillProgress();
          show(form, j.pass ? "pass" : "fail", j.reason, j.link, linkText);
        } else {
          show(form, "problem", j.detail || "The grader could not answer (status " + r.status + ").");
        }
      })
      .catch(function () {
        show(form, "problem", "The server could not be reached. Try again, or reload the page.");
      });
  }

  document.addEventListener("submit", function (e) {
    if (e.target.id !== "check-form") return;
    e.preventDefault();
    check(e.target);
  });

  // x: check from anywhere but a text field (a radio or checkbox is fine); c is thread C
  document.addEventListener("keydown", function (e) {
    if (e.key !== "x" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.closest && t.closest("textarea, select, dialog[open]")) return;
    if (t.tagName === "INPUT" && !/^(radio|checkbox)$/.test(t.type)) return;
    var form = document.getElementById("check-form");
    if (!form) return;
    e.preventDefault();
    var group = form.querySelector("fieldset input[required]");
    if (group && !picked(form, group.name)) { group.focus(); return; }
    check(form);
  });

  // -- hints, one at a time --------------------------------------------------------------------
  function hintButton() { return document.getElementById("next-hint"); }

  function updateHints() {
    var button = hintButton();
    if (!button) return;
    var hints = document.querySelectorAll("details.hint");
    var next = Array.prototype.findIndex.call(hints, function (h) { return h.hidden; });
    button.hidden = next < 0;
    if (next >= 0) button.textContent = "Show hint " + (next + 1) + " of " + hints.length;
  }

  // how many hints of an exercise were shown, so a reload shows the same ones
  function hintsKey() {
    var box = document.querySelector("[data-hints-of]");
    return box ? "mmlock.hints." + box.dataset.hintsOf : "";
  }

  function hintsShown() {
    try { return Number(localStorage.getItem(hintsKey()) || "0") || 0; } catch (e) { return 0; }
  }

  function setUpHints() {
    if (!hintButton()) return;
    var shown = hintsShown();
    document.querySelectorAll("details.hint").forEach(function (h, i) {
      if (i < shown) { h.hidden = false; h.open = true; } else if (!h.open) { h.hidden = true; }
    });
    updateHints();
  }

  function rememberHints() {
    var key = hintsKey();
    if (!key) return;
    var shown = document.querySelectorAll("details.hint:not([hidden])").length;
    try { localStorage.setItem(key, String(shown)); } catch (e) { /* storage off: nothing kept */ }
  }

  document.addEventListener("click", function (e) {
    if (e.target.closest("#next-hint")) {
      var h = document.querySelector("details.hint[hidden]");
      if (h) { h.hidden = false; h.open = true; h.querySelector("p").focus(); }
      updateHints();
      rememberHints();
    } else if (e.target.closest("#progress-export")) {
      exportProgress();
    } else if (e.target.closest("#progress-import-button")) {
      document.getElementById("progress-import").click();
    } else if (e.target.closest("#progress-reset")) {
      resetProgress();
    }
  });

  // -- export, import, reset -----------------------------------------------------------------
  function status(text) {
    var el = document.getElementById("progress-status");
    if (el) el.textContent = text;
  }

  function exportProgress() {
    var data = { app: "mmlock", version: 1, exported: new Date().toISOString(), progress: allProgress() };
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
    a.download = "mmlock-progress.json";
    document.body.appendChild(a);
    a.click();
    a.remove();
    var n = Object.keys(data.progress).length;
    status("Exported " + n + " part" + (n === 1 ? "" : "s") + " to mmlock-progress.json.");
  }

  function importProgress(text) {
    var data;
    try { data = JSON.parse(text); } catch (e) { status("That file is not JSON: nothing was imported."); return; }
    var parts = data && data.app === "mmlock" && data.progress;
    if (!parts || typeof parts !== "object") {
      status("That file is not an mmlock progress export: nothing was imported.");
      return;
    }
    var n = 0;
    Object.keys(parts).forEach(function (name) {
      var v = parts[name];
      if (/^x[0-9]{2}[a-z]?$/.test(name) && v && typeof v.passed === "boolean") {
        var old = load(name);
        if (!(old && old.passed && !v.passed)) save(name, { passed: v.passed, when: String(v.when || "") });
        n++;
      }
    });
    fillProgress();
    status("Imported " + n + " part" + (n === 1 ? "" : "s") + ".");
  }

  document.addEventListener("change", function (e) {
    if (e.target.id !== "progress-import" || !e.target.files.length) return;
    e.target.files[0].text().then(importProgress);
    e.target.value = "";
  });

  function resetProgress() {
    if (!window.confirm("Forget the progress of every exercise in this browser? This cannot be undone.")) return;
    Object.keys(allProgress()).forEach(function (name) {
      try { localStorage.removeItem(PREFIX + name); } catch (e) { /* storage off */ }
    });
    try {                                       // and which hints were shown
      Object.keys(localStorage).filter(function (k) { return k.indexOf("mmlock.hints.") === 0; })
        .forEach(function (k) { localStorage.removeItem(k); });
    } catch (e) { /* storage off */ }
    fillProgress();
    status("Progress reset: every exercise is back to not started.");
  }

  function init() {
    fillProgress();
    setUpHints();
    var tools = document.getElementById("progress-tools");
    if (tools) tools.hidden = false;
    sync();
  }

  document.addEventListener("htmx:pushedIntoHistory", onPushed);
  document.addEventListener("htmx:afterSettle", sync);
  document.addEventListener("htmx:historyRestore", init);
  document.addEventListener("DOMContentLoaded", init);
}());
