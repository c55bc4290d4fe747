// Installed by the browser test through the DevTools protocol
// (Page.addScriptToEvaluateOnNewDocument), so it runs in every document before the page's own
// scripts and without the page's Content-Security-Policy having to allow it: the policy under
// test stays exactly as the server sends it. It records, in the tab's sessionStorage (which
// outlives the job page's reload), every CSP violation a page of this origin reports, and for
// each job page how many progress lines the server rendered and how many the page showed when
// it was left: more shown than rendered means the page's script added them as they streamed.
(function () {
  "use strict";
  var KEY = "blueprint-test";
  function load() {
    try {
      return JSON.parse(window.sessionStorage.getItem(KEY)) || { violations: [], pages: [] };
    } catch (e) {
      return null; // an opaque origin (data: URLs) has no storage
    }
  }
  function save(state) {
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) {}
  }
  document.addEventListener("securitypolicyviolation", function (e) {
    var state = load();
    if (state) {
      state.violations.push({
        page: location.pathname,
        directive: e.violatedDirective,
        blocked: e.blockedURI,
      });
      save(state);
    }
  });
  // "interactive" comes once the document is parsed and before deferred scripts run: the list
  // then holds exactly what the server rendered.
  var rendered = null;
  document.addEventListener("readystatechange", function () {
    var list = document.getElementById("progress");
    if (document.readyState === "interactive" && list) {
      rendered = list.children.length;
    }
  });
  window.addEventListener("pagehide", function () {
    var list = document.getElementById("progress");
    var state = load();
    if (list && rendered !== null && state) {
      state.pages.push({ page: location.pathname, rendered: rendered, shown: list.children.length });
      save(state);
    }
  });
})();
