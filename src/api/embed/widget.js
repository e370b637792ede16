/* Christen results widget.
 *
 *   <div data-christen-contest="CONTEST-ID" data-theme="light" data-lang="en"></div>
 *   <script src="https://christen.example/widget.js" async></script>
 *
 * Renders the contest's results chart (the same SVG as /v1/contests/{id}/results.svg)
 * into a Shadow DOM inside each such element, and keeps it current while voting is
 * open and results are live (Server-Sent Events from …/results/stream; polling if
 * the stream is refused). After each render the element fires a `christen:update`
 * event (bubbles) with `detail: {contest, live}`.
 *
 *   <div data-christen-participate="CONTEST-ID" data-lang="fr"></div>
 *
 * Mounts the contest's participation page (/c/CONTEST-ID: suggest, rank, vote)
 * in an iframe whose height follows its content: the page posts
 * `{type: "christen:participate", contest, height}` to its parent, and only
 * messages from that frame's window and this script's origin are believed.
 *
 * Defines one global, `Christen`, with `mount(element)`, `participate(element)`
 * and `scan()`.
 */
(function () {
  "use strict";
  if (window.Christen && window.Christen.version) { window.Christen.scan(); return; }
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : location.origin;
  var POLL_MS = 15000;
  var css =
    ":host{display:block;max-width:640px}" +
    ".c{width:100%}.c svg{display:block;width:100%;height:auto}" +
    ".e{font:14px/1.4 system-ui,sans-serif;padding:.5rem;border:1px solid #c4c9d0;color:#1b1b1f;background:#fff}";

  function query(el) {
    var p = [];
    var theme = el.getAttribute("data-theme");
    var lang = el.getAttribute("data-lang") || document.documentElement.lang;
    if (theme === "dark" || theme === "light") p.push("theme=" + theme);
    if (lang) p.push("lang=" + encodeURIComponent(lang.slice(0, 8)));
    return p.length ? "?" + p.join("&") : "";
  }

  function mount(el) {
    if (!el || el.__christen) return;
    var id = el.getAttribute("data-christen-contest") || "";
    if (!/^[0-9a-fA-F-]{36}$/.test(id)) return;
    var root = el.attachShadow ? el.attachShadow({ mode: "open" }) : el;
    var style = document.createElement("style");
    style.textContent = css;
    var box = document.createElement("div");
    box.className = "c";
    box.setAttribute("aria-live", "polite");
    root.appendChild(style);
    root.appendChild(box);
    var state = { el: el, id: id, box: box, live: false, source: null, timer: null };
    el.__christen = state;
    render(state);
    watch(state);
  }

  function render(state) {
    var url = base + "/v1/contests/" + state.id + "/results.svg" + query(state.el);
    // `no-cache`: revalidate (ETag) so an update is never the cached older chart.
    return fetch(url, { mode: "cors", credentials: "omit", cache: "no-cache" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (svg) {
        // Our own server's SVG: every name in it is escaped there; parse it as
        // XML (no scripts run) and adopt the element.
        var doc = new DOMParser().parseFromString(svg, "image/svg+xml");
        var node = doc.documentElement;
        if (node.nodeName !== "svg") throw new Error("not an SVG");
        state.box.replaceChildren(document.importNode(node, true));
        state.el.dispatchEvent(new CustomEvent("christen:update", {
          bubbles: true, detail: { contest: state.id, live: state.live }
        }));
      })
      .catch(function () {
        var p = document.createElement("p");
        p.className = "e";
        p.textContent = "Results are unavailable right now.";
        state.box.replaceChildren(p);
      });
  }

  // Live updates only while voting is open and results are live.
  function watch(state) {
    fetch(base + "/v1/contests/" + state.id, { mode: "cors", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (!c || c.phase !== "voting" || c.results_visibility !== "live") return;
        state.live = true;
        if (!window.EventSource) return poll(state);
        var es = new EventSource(base + "/v1/contests/" + state.id + "/results/stream");
        state.source = es;
        es.addEventListener("result", function (e) {
          var data = {};
          try { data = JSON.parse(e.data); } catch (_) { /* keep rendering */ }
          if (data["final"]) { state.live = false; es.close(); }
          render(state);
        });
        es.onerror = function () {
          // Refused (cap reached, results hidden meanwhile): fall back to polling.
          if (es.readyState === EventSource.CLOSED) poll(state);
        };
      })
      .catch(function () {});
  }

  function poll(state) {
    if (state.timer) return;
    state.timer = setInterval(function () { render(state); }, POLL_MS);
  }

  var frames = [];

  function participate(el) {
    if (!el || el.__christen) return;
    var id = el.getAttribute("data-christen-participate") || "";
    if (!/^[0-9a-fA-F-]{36}$/.test(id)) return;
    var lang = el.getAttribute("data-lang") || document.documentElement.lang;
    var frame = document.createElement("iframe");
    // `framed=1`: the page sets its cookies for a frame (SameSite=None; Partitioned).
    frame.src = base + "/c/" + id + "?framed=1" + (lang ? "&lang=" + encodeURIComponent(lang.slice(0, 8)) : "");
    frame.title = el.getAttribute("data-title") || "Naming contest";
    frame.style.cssText = "display:block;width:100%;height:480px;border:0";
    el.__christen = { id: id, frame: frame };
    el.replaceChildren(frame);
    frames.push(frame);
  }

  // The participation page reports its height; size the frame that sent it.
  window.addEventListener("message", function (e) {
    var d = e.data;
    if (e.origin !== base || !d || d.type !== "christen:participate") return;
    var h = Math.ceil(Number(d.height));
    if (!(h > 0 && h < 100000)) return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === e.source) frames[i].style.height = h + "px";
    }
  });

  function scan() {
    var els = document.querySelectorAll("[data-christen-contest]");
    for (var i = 0; i < els.length; i++) mount(els[i]);
    els = document.querySelectorAll("[data-christen-participate]");
    for (var j = 0; j < els.length; j++) participate(els[j]);
  }

  window.Christen = { version: 1, mount: mount, participate: participate, scan: scan };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scan);
  } else {
    scan();
  }
})();
