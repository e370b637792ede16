// Christen participation page: progressive enhancement only. Every form works
// without this script (POST, then 303 back). It adds: times in the reader's
// time zone, "Did you mean" while typing a suggestion, ranking by buttons and
// drag and drop, and the frame height message for widget.js.
(function () {
  "use strict";
  var d = document, root = d.documentElement;

  function fill(t, name) { return t.replace("{name}", name); }
  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // Times: the server writes them in UTC; show them in the reader's zone.
  function times() {
    var f;
    try { f = new Intl.DateTimeFormat(root.lang, { dateStyle: "long", timeStyle: "short" }); } catch (e) { return; }
    [].forEach.call(d.querySelectorAll("time[datetime]"), function (t) {
      var v = new Date(t.getAttribute("datetime"));
      if (!isNaN(v)) t.textContent = f.format(v);
    });
  }

  // The frame's height, for widget.js: {type: "christen:participate", contest, height}.
  function height() {
    if (window.parent === window) return;
    window.parent.postMessage({ type: "christen:participate", contest: root.getAttribute("data-contest"), height: root.scrollHeight }, "*");
  }

  // "Did you mean": names close to the one being typed.
  function similar() {
    var input = d.getElementById("suggestion"), box = d.getElementById("similar");
    if (!input || !box || !window.fetch) return;
    var timer = null, seq = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var v = input.value.trim(), mine = ++seq;
        if (v.length < 2) { box.textContent = ""; height(); return; }
        fetch(box.getAttribute("data-url") + "?limit=5&name=" + encodeURIComponent(v), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (body) {
            if (mine !== seq) return;
            box.textContent = "";
            var items = (body && body.items) || [];
            if (!items.length) { height(); return; }
            box.appendChild(el("p", null, box.getAttribute("data-label")));
            var ul = el("ul");
            items.forEach(function (s) { ul.appendChild(el("li", null, s.name)); });
            box.appendChild(ul);
            height();
          })
          .catch(function () {});
      }, 250);
    });
  }

  // Ranking with buttons (and drag and drop): writes the no-JS selects on submit.
  function ranking() {
    var form = d.getElementById("ballot");
    if (!form) return;
    var selects = form.querySelector(".selects"), ui = form.querySelector(".rank-ui");
    var items = [].map.call(form.querySelectorAll(".cands li"), function (li) {
      var sel = li.querySelector("select");
      return { id: li.getAttribute("data-id"), name: li.getAttribute("data-name"), sel: sel, rank: parseInt(sel.value, 10) || 0 };
    });
    var max = items.length ? items[0].sel.options.length - 1 : 0;
    var L = function (k) { return form.getAttribute("data-l-" + k); };
    var ranked = items.filter(function (i) { return i.rank > 0; }).sort(function (a, b) { return a.rank - b.rank; });
    var live = d.getElementById("rank-live");
    var dragged = null;

    function unranked() { return items.filter(function (i) { return ranked.indexOf(i) < 0; }); }
    function say(t) { if (live) live.textContent = t; }
    function button(label, cls, fn) {
      var b = el("button", cls, label);
      b.type = "button";
      b.addEventListener("click", fn);
      return b;
    }
    function render(focus) {
      ui.textContent = "";
      ui.appendChild(el("h3", null, L("ranking")));
      if (!ranked.length) ui.appendChild(el("p", "help", L("empty")));
      var ol = el("ol", "list ranked");
      ranked.forEach(function (it, i) {
        var li = el("li");
        li.draggable = true;
        li.appendChild(el("span", "pos", String(i + 1)));
        li.appendChild(el("span", "name", it.name));
        var btns = el("span", "btns");
        // At either end the button stays focusable (focus follows a moved name)
        // but says it can go no further: aria-disabled, and a click announces
        // the position unchanged.
        var up = button(fill(L("up"), it.name), "secondary", function () { move(it, -1, "up"); });
        var down = button(fill(L("down"), it.name), "secondary", function () { move(it, 1, "down"); });
        if (i === 0) up.setAttribute("aria-disabled", "true");
        if (i === ranked.length - 1) down.setAttribute("aria-disabled", "true");
        btns.appendChild(up);
        btns.appendChild(down);
        btns.appendChild(button(fill(L("remove"), it.name), "secondary", function () { ranked.splice(ranked.indexOf(it), 1); render(["rank", it]); say(fill(L("remove"), it.name)); }));
        li.addEventListener("dragstart", function (e) { dragged = it; li.classList.add("dragging"); e.dataTransfer.effectAllowed = "move"; e.dataTransfer.setData("text/plain", it.id); });
        li.addEventListener("dragend", function () { dragged = null; li.classList.remove("dragging"); });
        li.addEventListener("dragover", function (e) { if (dragged) e.preventDefault(); });
        li.addEventListener("drop", function (e) {
          e.preventDefault();
          if (!dragged || dragged === it) return;
          ranked.splice(ranked.indexOf(dragged), 1);
          ranked.splice(ranked.indexOf(it) + (e.offsetY > li.offsetHeight / 2 ? 1 : 0), 0, dragged);
          render(null);
        });
        li.appendChild(btns);
        ol.appendChild(li);
      });
      ui.appendChild(ol);
      var rest = unranked();
      if (rest.length) {
        ui.appendChild(el("h3", null, L("unranked")));
        var ul = el("ul", "list");
        rest.forEach(function (it) {
          var li = el("li");
          li.appendChild(el("span", "name", it.name));
          var b = button(fill(L("rank"), it.name), null, function () { ranked.push(it); render(["up", it]); say(fill(L("rank"), it.name) + ": " + ranked.length); });
          b.disabled = ranked.length >= max;
          li.appendChild(b);
          ul.appendChild(li);
        });
        ui.appendChild(ul);
      }
      if (focus) {
        var label = fill(L(focus[0]), focus[1].name);
        var target = [].filter.call(ui.querySelectorAll("button"), function (b) { return b.textContent === label; })[0];
        (target || ui.querySelector("button") || form.querySelector("[type=submit]")).focus();
      }
      height();
    }
    function move(it, by, kind) {
      var i = ranked.indexOf(it), j = i + by;
      if (j < 0 || j >= ranked.length) { say(it.name + ": " + (i + 1)); return; }
      ranked.splice(i, 1);
      ranked.splice(j, 0, it);
      render([kind, it]);
      say(fill(L(kind), it.name) + ": " + (j + 1));
    }
    form.addEventListener("submit", function () {
      items.forEach(function (it) { it.sel.value = ""; });
      ranked.forEach(function (it, i) { it.sel.value = String(i + 1); });
    });
    selects.hidden = true;
    ui.hidden = false;
    render(null);
  }

  function start() {
    times();
    similar();
    ranking();
    height();
    if (window.ResizeObserver) new ResizeObserver(height).observe(d.body);
    window.addEventListener("resize", height);
  }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start); else start();
})();
