# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HTML report's inline script (PRIVATE to the collection).

``PAGE_SCRIPT`` reads the JSON in the page's ``report-data`` element (``{"page": rows per page,
"tables": {table id: rows}}``) and makes every ``section[data-table]`` of ``_report_page``'s
template sortable (click or Enter on a header), filterable and paged; the compatibility picture's
block size follows the ``sizeby`` radio buttons. It only changes the page it is in, fetches
nothing, and sets ``data-report-ready`` on the document element once it has run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


PAGE_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE = data.page;
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  var fmt = new Intl.NumberFormat("en");
  var SLUG = {"ok": "ok", "errors": "err", "no facts": "nofacts"};

  function textOf(v) {
    if (v === null || v === undefined) { return ""; }
    return Array.isArray(v) ? v.join(" ") : String(v);
  }

  function fillCell(td, v, kind, noun) {
    if (v === null || v === undefined || (Array.isArray(v) && !v.length)) {
      td.textContent = "-"; td.className = "none"; return;
    }
    if (kind === "list") {
      if (v.length === 1) { td.textContent = String(v[0]); return; }
      var det = document.createElement("details");
      var sum = document.createElement("summary");
      sum.textContent = fmt.format(v.length) + " " + noun;
      det.appendChild(sum);
      det.addEventListener("toggle", function () {
        if (det.open && !det.lastChild.classList.contains("list")) {
          var div = document.createElement("div");
          div.className = "list";
          div.textContent = v.join(", ");
          det.appendChild(div);
        }
      });
      td.appendChild(det);
      return;
    }
    if (kind === "status") {
      var b = document.createElement("span");
      b.className = "badge st-" + (SLUG[v] || "err");
      b.textContent = String(v);
      td.appendChild(b);
      return;
    }
    if (kind === "num") { td.className = "num"; td.textContent = fmt.format(v); return; }
    td.textContent = String(v);
  }

  function sortKey(v, kind) {
    if (v === null || v === undefined) { return null; }
    if (kind === "list") { return v.length; }
    return v;
  }

  function setup(section) {
    var id = section.getAttribute("data-table");
    var rows = data.tables[id] || [];
    var ths = Array.prototype.slice.call(section.querySelectorAll("thead th"));
    var kinds = ths.map(function (th) { return th.getAttribute("data-kind"); });
    var nouns = ths.map(function (th) { return th.getAttribute("data-noun") || "items"; });
    var tbody = section.querySelector("tbody");
    var input = section.querySelector("input.filter");
    var count = section.querySelector(".tools .count");
    var prev = section.querySelector("button.prev");
    var next = section.querySelector("button.next");
    var pageLabel = section.querySelector(".page");
    var texts = null;
    var view = rows.map(function (_r, i) { return i; });
    var page = 0, sortCol = -1, dir = 1;

    function draw() {
      var frag = document.createDocumentFragment();
      var start = page * PAGE, end = Math.min(view.length, start + PAGE);
      for (var i = start; i < end; i++) {
        var row = rows[view[i]];
        var tr = document.createElement("tr");
        for (var c = 0; c < row.length; c++) {
          var td = document.createElement("td");
          fillCell(td, row[c], kinds[c], nouns[c]);
          tr.appendChild(td);
        }
        frag.appendChild(tr);
      }
      tbody.textContent = "";
      tbody.appendChild(frag);
      var pages = Math.max(1, Math.ceil(view.length / PAGE));
      count.textContent = view.length ? (fmt.format(start + 1) + "\u2013" + fmt.format(end) + " of " +
        fmt.format(view.length) + (view.length < rows.length ? " (filtered from " + fmt.format(rows.length) + ")" : ""))
        : "no rows match";
      pageLabel.textContent = "page " + fmt.format(page + 1) + " of " + fmt.format(pages);
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
      section.querySelector(".pager").hidden = pages < 2;
      ths.forEach(function (th, c) {
        if (c === sortCol) { th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending"); }
        else { th.removeAttribute("aria-sort"); }
      });
    }

    function apply() {
      var f = input.value.trim().toLowerCase();
      if (f) {
        if (!texts) { texts = rows.map(function (r) { return r.map(textOf).join("\u0001").toLowerCase(); }); }
        view = [];
        for (var i = 0; i < rows.length; i++) { if (texts[i].indexOf(f) >= 0) { view.push(i); } }
      } else {
        view = rows.map(function (_r, i) { return i; });
      }
      if (sortCol >= 0) {
        var kind = kinds[sortCol];
        var keys = rows.map(function (r) { return sortKey(r[sortCol], kind); });
        view.sort(function (a, b) {
          var ka = keys[a], kb = keys[b];
          if (ka === null || kb === null) { return ka === kb ? a - b : (ka === null ? 1 : -1); }
          var r = (typeof ka === "number" && typeof kb === "number") ? ka - kb : collator.compare(String(ka), String(kb));
          return r ? dir * r : a - b;
        });
      }
      page = 0;
      draw();
    }

    ths.forEach(function (th, c) {
      th.tabIndex = 0;
      var click = function () { if (sortCol === c) { dir = -dir; } else { sortCol = c; dir = 1; } apply(); };
      th.addEventListener("click", click);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { click(); } });
    });
    var timer = null;
    input.addEventListener("input", function () {
      // Large tables wait for a pause in typing; small ones follow every key.
      clearTimeout(timer);
      if (rows.length > 20000) { timer = setTimeout(apply, 200); } else { apply(); }
    });
    prev.addEventListener("click", function () { if (page > 0) { page--; draw(); } });
    next.addEventListener("click", function () { page++; draw(); });
    draw();
  }

  Array.prototype.forEach.call(document.querySelectorAll("section[data-table]"), setup);

  Array.prototype.forEach.call(document.querySelectorAll("input[name=sizeby]"), function (radio) {
    radio.addEventListener("change", function () {
      var key = radio.value;
      Array.prototype.forEach.call(document.querySelectorAll(".dblock"), function (b) {
        b.style.flexGrow = Math.max(0.2, Number(b.getAttribute("data-" + key)));
      });
    });
  });

  window.reportReadyAt = performance.now();
  document.documentElement.setAttribute("data-report-ready", "1");
})();
"""
