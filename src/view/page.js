// byline view: shows one article at a time from the JSON block, joins quotes to their cue and
// speaker on hover and click, and moves between articles (index, ← →, #N in the address; #N/qM
// selects quote M, counted from 0 as in the record's "quotes").
(function () {
  "use strict";
  var articles = JSON.parse(document.getElementById("byline-articles").textContent);
  var main = document.getElementById("article");
  var links = Array.prototype.slice.call(document.querySelectorAll("#list a"));
  var current = -1;
  var selected = null;

  function parseHash() {
    var m = /^#(\d+)(?:\/q(\d+))?$/.exec(location.hash);
    return m ? { article: Number(m[1]) - 1, quote: m[2] === undefined ? null : m[2] } : { article: 0, quote: null };
  }

  function pager(i) {
    var nav = document.createElement("nav");
    nav.className = "pager";
    var prev = document.createElement("a");
    prev.className = "prev" + (i > 0 ? "" : " off");
    prev.href = "#" + i;
    prev.textContent = "← previous";
    var pos = document.createElement("span");
    pos.className = "pos";
    pos.textContent = (i + 1) + " / " + articles.length;
    var next = document.createElement("a");
    next.className = "next" + (i + 1 < articles.length ? "" : " off");
    next.href = "#" + (i + 2);
    next.textContent = "next →";
    nav.appendChild(prev);
    nav.appendChild(pos);
    nav.appendChild(next);
    return nav;
  }

  function show(i, quote) {
    if (!articles.length) {
      main.textContent = "No records.";
      return;
    }
    i = Math.max(0, Math.min(articles.length - 1, i));
    if (i !== current) {
      main.innerHTML = articles[i];
      main.insertBefore(pager(i), main.firstChild);
      if (current >= 0) links[current].classList.remove("current");
      links[i].classList.add("current");
      links[i].parentNode.scrollIntoView({ block: "nearest" });
      current = i;
      main.scrollTop = 0;
    }
    selected = quote;
    paint(quote === null ? null : "q" + quote);
    var first = quote === null ? null : main.querySelector('.text [data-q="' + quote + '"]');
    if (first) first.scrollIntoView({ block: "center" });
  }

  // What a quote or entity token lights up: its list item names it ("q3 e7"), else itself.
  function tokens(token) {
    var item = main.querySelector('.side li[data-hl~="' + token + '"]');
    return item && token.charAt(0) === "q" ? item.getAttribute("data-hl").split(" ") : [token];
  }

  function paint(what) {
    var on = main.querySelectorAll(".on");
    for (var k = 0; k < on.length; k++) on[k].classList.remove("on");
    if (what === null) return;
    var list = what.indexOf(" ") >= 0 ? what.split(" ") : tokens(what);
    list.forEach(function (t) {
      var sel = t.charAt(0) === "q" ? '[data-q="' + t.slice(1) + '"]' : '.text .ent[data-e="' + t.slice(1) + '"]';
      var els = main.querySelectorAll(sel);
      for (var k = 0; k < els.length; k++) els[k].classList.add("on");
    });
    var items = main.querySelectorAll('.side li[data-hl="' + what + '"]');
    for (var k = 0; k < items.length; k++) items[k].classList.add("on");
  }

  function target(el) {
    var t = el.closest && el.closest("[data-hl], [data-q]");
    if (!t) return null;
    if (t.hasAttribute("data-q")) return "q" + t.getAttribute("data-q");
    return t.getAttribute("data-hl");
  }

  function setHash() {
    var h = "#" + (current + 1) + (selected === null ? "" : "/q" + selected);
    if (location.hash !== h) history.replaceState(null, "", h);
  }

  main.addEventListener("mouseover", function (e) {
    var t = target(e.target);
    paint(t !== null ? t : selected === null ? null : "q" + selected);
  });
  main.addEventListener("mouseleave", function () {
    paint(selected === null ? null : "q" + selected);
  });
  main.addEventListener("click", function (e) {
    if (e.target.closest("a")) return;
    var t = target(e.target);
    var q = t !== null && /^q\d+$/.test(t) ? t.slice(1) : null;
    selected = q === selected ? null : q;
    paint(selected === null ? null : "q" + selected);
    setHash();
  });
  document.addEventListener("keydown", function (e) {
    if (e.target.tagName === "INPUT" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "ArrowRight" || e.key === "j") location.hash = "#" + Math.min(articles.length, current + 2);
    else if (e.key === "ArrowLeft" || e.key === "k") location.hash = "#" + Math.max(1, current);
    else if (e.key === "Escape") {
      selected = null;
      paint(null);
      setHash();
    }
  });
  document.getElementById("filter").addEventListener("input", function (e) {
    var v = e.target.value.toLowerCase();
    links.forEach(function (a) {
      var hit = !v || a.textContent.toLowerCase().indexOf(v) >= 0 || a.title.toLowerCase().indexOf(v) >= 0;
      a.parentNode.hidden = !hit;
    });
  });
  window.addEventListener("hashchange", function () {
    var h = parseHash();
    show(h.article, h.quote);
  });
  var h = parseHash();
  show(h.article, h.quote);
})();
