# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fleet audit report: JSON, Markdown and HTML renderings of a report (PRIVATE to the collection).

The report is the data of ``_report_model.build_report``. Markdown and HTML are rendered with
Jinja2 (autoescaping for HTML; every Markdown cell goes through ``md``). The HTML page is
self-contained: inline CSS, a small inline script, the table data as embedded JSON; nothing is
fetched at view time. Tables show one page of rows at a time and are sorted, filtered and paged
by the script, so that the report of a very large fleet opens quickly; without scripts, the
first page of each table is still there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json
import re

from jinja2 import DictLoader, Environment, StrictUndefined

PAGE_SIZE = 100          # table rows on one page
LIST_INLINE = 200        # list items written into the page without scripts (all of them are in the data)
MD_LIST_ITEMS = 20       # list items shown in a Markdown cell
BARS_SHOWN = 40          # capacity bars shown before the rest are folded
STRIP_CELLS = 2000       # most cells of the host status strip; beyond, a cell stands for several hosts
STATUS_SLUG = {"ok": "ok", "errors": "err", "no facts": "nofacts"}
STATUS_LABEL = {"ok": "ok", "errors": "read errors", "no facts": "no facts"}
STATUS_ORDER = ("ok", "errors", "no facts")   # worst last


def render_json(report):
    return json.dumps(report, indent=4, sort_keys=True) + "\n"


# -- tables shared by Markdown and HTML ----------------------------------------------------------


class Table(object):
    """One table: ``columns`` is a list of (label, kind, noun); kind is text, num, list or status."""

    def __init__(self, table_id, title, columns, rows, note=None):
        self.id = table_id
        self.title = title
        self.columns = columns
        self.rows = rows
        self.note = note


def _generic_columns(records):
    keys = []
    for record in records:
        for key in record:
            if key not in keys:
                keys.append(key)
    return keys


def tables(report):
    """The report's tables, in page order (the summary is not one of them)."""
    num, text, lst, status = "num", "text", "list", "status"
    result = [
        Table("hosts", "Hosts", [("host", text, None), ("status", status, None), ("kernel", text, None),
                                 ("parents", num, None), ("devices in use", num, None),
                                 ("vendor-VFIO VFs", num, None), ("read errors", num, None)],
              [[h["host"], h["status"], h["kernel_release"], h["parents"], h["devices"], h["vendor_vfio"], h["errors"]]
               for h in report["hosts"]]),
        Table("types", "Types", [("type", text, None), ("name", text, None), ("kind", text, None),
                                 ("hosts", lst, "hosts"), ("versions", lst, "versions"), ("devices", num, None),
                                 ("free instances", num, None)],
              [[t["type_id"], t["name"], t["kind"], t["hosts"], list(t["versions"]), t["devices"], t["capacity"]]
               for t in report["types"]]),
        Table("drift", "Version drift", [("type", text, None), ("host", text, None), ("parents", lst, "parents"),
                                         ("version", text, None), ("most common version", text, None)],
              [[d["type_id"], d["host"], d["parents"], d["version"], d["common_version"] or "(no majority)"]
               for d in report["version_drift"]],
              "Hosts whose version differs from the one most hosts of their type publish."),
        Table("domains", "Migration domains", [("domain", text, None), ("type", text, None), ("evidence", text, None),
                                               ("hosts", lst, "hosts"), ("versions", lst, "versions"),
                                               ("devices", num, None), ("free instances", num, None),
                                               ("reserved", num, None), ("devices without target", num, None)],
              [[d["id"], d["type_id"], d["evidence"], d["hosts"], d["versions"], d["devices"], d["capacity"],
                d.get("reserved") or 0, len(d["stranded"])] for d in report["domains"]],
              "Members of a domain can migrate among each other."),
        Table("stranded", "Devices that cannot be evacuated", [("host", text, None), ("device", text, None),
                                                               ("type", text, None), ("domain", text, None),
                                                               ("reasons", lst, "reasons")],
              [[x.get("host"), x.get("device"), x.get("type_id"), x.get("domain"), list(x.get("reasons") or [])]
               for x in report["stranded"]],
              "No compatible target with free capacity on another host."),
        Table("one-way", "One-way acceptance", [("type", text, None), ("version", text, None),
                                                ("accepted by hosts running", text, None), ("hosts", lst, "hosts")],
              [[o["type_id"], o["from_version"], o["to_version"], o["to_hosts"]] for o in report["one_way"]],
              "A write probe showed that these hosts accept the version, but not the other way round."),
    ]
    accepted = report.get("accepted") or []
    if accepted:
        keys = _generic_columns(accepted)
        result.append(Table("accepted", "Accepted probe directions",
                            [(k.replace("_", " "), lst if any(isinstance(a.get(k), list) for a in accepted) else text,
                              "items") for k in keys],
                            [[a.get(k) for k in keys] for a in accepted],
                            "Directions in which a write probe accepted a version, for some or all hosts."))
    result += [
        Table("undecided", "Members no rule can vouch for", [("host", text, None), ("parent", text, None),
                                                             ("type", text, None), ("reasons", lst, "reasons")],
              [[u["host"], u["parent"], u["type_id"], list(u.get("reasons") or [])]
               for u in report.get("undecided") or []],
              "Unknown identity facts, unreadable or one-sided versions: in no domain until the facts are known."),
        Table("unsupported", "Types without migration support",
              [("host", text, None), ("parent", text, None), ("type", text, None)],
              [[u["host"], u["parent"], u["type_id"]] for u in report["unsupported"]]),
        Table("errors", "Read errors", [("host", text, None), ("path", text, None), ("errno", text, None),
                                        ("message", text, None)],
              [[e.get("host"), e.get("path"), e.get("errno"), e.get("message")] for e in report["errors"]]),
    ]
    return result


def summary_items(report):
    """(label, value, tone) of the summary; tone marks a number that needs attention."""
    s = report["summary"]
    return [
        ("hosts", s["hosts"], None),
        ("with facts", s["hosts_with_facts"], None),
        ("without facts", len(s["hosts_without_facts"]), "warn" if s["hosts_without_facts"] else None),
        ("types", s["types"], None),
        ("devices in use", s["devices"], None),
        ("free instances", s["capacity"], None),
        ("migration domains", s["domains"], None),
        ("devices without target", s["stranded_devices"], "bad" if s["stranded_devices"] else None),
        ("version drift", s["version_drift"], "warn" if s["version_drift"] else None),
        ("read errors", s["errors"], "warn" if s["errors"] else None),
    ]


# -- Markdown ------------------------------------------------------------------------------------


def md_cell(value):
    """A Markdown table cell: ``|`` and backslashes escaped, no line breaks, long lists cut."""
    if value is None:
        text = "-"
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value[:MD_LIST_ITEMS]]
        if len(value) > MD_LIST_ITEMS:
            items.append("... (%d in all)" % len(value))
        text = ", ".join(items) or "-"
    else:
        text = str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
    return " ".join(text.splitlines()) if ("\n" in text or "\r" in text) else text


_MARKDOWN = """\
# mdev migration audit

{% if generated_at %}Generated {{ generated_at }}{{ ", with write probes" if probed else "" }}.

{% endif %}
## Summary

| {% for label, _v, _t in summary %}{{ label }}{{ " | " if not loop.last else "" }}{% endfor %} |
|{% for _i in summary %}---|{% endfor %}

| {% for _l, value, _t in summary %}{{ value | md }}{{ " | " if not loop.last else "" }}{% endfor %} |
{% if hosts_without_facts %}

Hosts without facts: {{ hosts_without_facts | md }}.
{% endif %}

{% for t in tables %}
## {{ t.title }}

{% if t.note %}
{{ t.note }}

{% endif %}
{% if not t.rows %}
None.

{% else %}
| {% for c in t.columns %}{{ c[0] | md }}{{ " | " if not loop.last else "" }}{% endfor %} |
|{% for _c in t.columns %}---|{% endfor %}

{% for row in t.rows %}
| {% for value in row %}{{ value | md }}{{ " | " if not loop.last else "" }}{% endfor %} |
{% endfor %}

{% endif %}
{% endfor %}
"""


def _count(number, noun):
    """``1 host``, ``2,048 hosts``."""
    return "{:,} {}{}".format(number, noun, "" if number == 1 else "s")


def _environment(autoescape):
    env = Environment(loader=DictLoader({"report.md": _MARKDOWN, "report.html": _HTML}), autoescape=autoescape,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=StrictUndefined)
    env.filters["md"] = md_cell
    env.filters["thousands"] = "{:,}".format
    env.filters["count"] = _count
    return env


def render_markdown(report):
    env = _environment(False)
    text = env.get_template("report.md").render(
        generated_at=report.get("generated_at"), probed=report.get("probed"), summary=summary_items(report),
        hosts_without_facts=report["summary"]["hosts_without_facts"], tables=tables(report))
    return text.rstrip("\n") + "\n"


# -- HTML: pictures ------------------------------------------------------------------------------


def host_strip(report):
    """Cells of the host status strip: one per host, or one per run of hosts in a large fleet
    (coloured by the worst status in it). Returns (cells, counts, hosts per cell)."""
    hosts = report["hosts"]
    counts = dict((s, 0) for s in STATUS_ORDER)
    for h in hosts:
        counts[h["status"]] = counts.get(h["status"], 0) + 1
    per_cell = max(1, -(-len(hosts) // STRIP_CELLS))
    cells = []
    for start in range(0, len(hosts), per_cell):
        run = hosts[start:start + per_cell]
        worst = max((h["status"] for h in run), key=lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else 0)
        if per_cell == 1:
            title = "%s: %s" % (run[0]["host"], STATUS_LABEL.get(worst, worst))
        else:
            tally = {}
            for h in run:
                tally[h["status"]] = tally.get(h["status"], 0) + 1
            title = "%s .. %s: %s" % (run[0]["host"], run[-1]["host"], ", ".join(
                "%d %s" % (tally[s], STATUS_LABEL.get(s, s)) for s in STATUS_ORDER if tally.get(s)))
        cells.append({"slug": STATUS_SLUG.get(worst, "err"), "title": title})
    return cells, [(STATUS_SLUG[s], STATUS_LABEL[s], counts[s]) for s in STATUS_ORDER], per_cell


def compatibility(report):
    """Per type, its domains as blocks: sizes, evidence, drift and one-way acceptance marks."""
    drift = set((d["type_id"], d["host"]) for d in report["version_drift"])
    by_type = {}
    for d in report["domains"]:
        by_type.setdefault((d["kind"], d["type_id"]), []).append(d)
    rows = []
    for t in report["types"]:
        domains = by_type.get((t["kind"], t["type_id"]), [])
        version_to_domain = {}
        for d in domains:
            for v in d["versions"]:
                version_to_domain[v] = d["id"]
        blocks = []
        for d in domains:
            accepts_from = sorted(set(version_to_domain.get(o["from_version"], o["from_version"])
                                      for o in report["one_way"]
                                      if o["type_id"] == d["type_id"] and o["to_version"] in d["versions"]))
            accepted_by = sorted(set(version_to_domain.get(o["to_version"], o["to_version"])
                                     for o in report["one_way"]
                                     if o["type_id"] == d["type_id"] and o["from_version"] in d["versions"]))
            blocks.append({
                "id": d["id"], "hosts": len(d["hosts"]), "free": d["capacity"], "used": d["devices"],
                "evidence": d["evidence"], "versions": d["versions"],
                "drift": any((d["type_id"], h) in drift for h in d["hosts"]),
                "stranded": len(d["stranded"]), "accepts_from": accepts_from, "accepted_by": accepted_by,
            })
        unsupported = sum(1 for u in report["unsupported"] if u["type_id"] == t["type_id"])
        rows.append({"type_id": t["type_id"], "name": t["name"], "kind": t["kind"], "hosts": len(t["hosts"]),
                     "blocks": blocks, "unsupported": unsupported})
    return rows


def _percent(part, total):
    return round(100.0 * part / total, 2) if total else 0


def capacity_bars(report):
    bars = []
    for d in report["domains"]:
        used, free, reserved = d["devices"], d["capacity"], d.get("reserved") or 0
        total = used + free + reserved
        bars.append({"id": d["id"], "hosts": len(d["hosts"]), "used": used, "free": free, "reserved": reserved,
                     "used_pct": _percent(used, total), "free_pct": _percent(free, total),
                     "reserved_pct": _percent(reserved, total),
                     "stranded": len(d["stranded"])})
    # fullest first: devices without target, then the smallest share of free instances
    return sorted(bars, key=lambda b: (-min(b["stranded"], 1), b["free_pct"] if b["used"] + b["free"] else 100.0))


def _script_json(data):
    """JSON safe inside a <script> element."""
    text = json.dumps(data, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(report):
    """A self-contained page: pictures, then sortable, filterable, paged tables."""
    env = _environment(True)
    table_list = tables(report)
    cells, strip_counts, per_cell = host_strip(report)
    return env.get_template("report.html").render(
        generated_at=report.get("generated_at"), probed=report.get("probed"), summary=summary_items(report),
        tables=table_list, strip=cells, strip_counts=strip_counts, per_cell=per_cell,
        compat=compatibility(report), bars=capacity_bars(report), bars_shown=BARS_SHOWN,
        page_size=PAGE_SIZE, list_inline=LIST_INLINE,
        css=_CSS, script=_SCRIPT, slugs=STATUS_SLUG,
        data=_script_json({"page": PAGE_SIZE, "tables": dict((t.id, t.rows) for t in table_list)}))


_CSS = """
:root{--ok:#2e9d5b;--err:#e0a100;--nofacts:#c0392b;--used:#3b6fb6;--free:#9cc3ea;--res:#b9a3d9;--ink:#1d2430;
--mute:#5d6878;--line:#d8dde5;--bg:#f5f7fa}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--ink);background:var(--bg)}
header{background:#1d2430;color:#fff;padding:1em 2em}
header h1{margin:0;font-size:1.5em;font-weight:600}
header p{margin:.2em 0 0;color:#c5cedb}
main{padding:1em 2em 3em;max-width:1600px}
section.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1em 1.2em;margin:1em 0}
h2{font-size:1.15em;margin:0 0 .6em}
p.note{color:var(--mute);margin:.2em 0 .8em}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(112px,1fr));gap:.6em;margin:1em 0}
.kpi{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.6em .8em}
.kpi b{display:block;font-size:1.7em;font-weight:600;font-variant-numeric:tabular-nums}
.kpi span{color:var(--mute);font-size:.9em}
.kpi.warn{border-color:var(--err);background:#fff8e1}.kpi.bad{border-color:var(--nofacts);background:#fdecea}
.strip{display:flex;flex-wrap:wrap;gap:2px;margin:.5em 0}
.strip i{display:block;width:12px;height:22px;border-radius:2px}
.st-ok{background:var(--ok)}.st-err{background:var(--err)}.st-nofacts{background:var(--nofacts)}
.legend{display:flex;flex-wrap:wrap;gap:1.2em;color:var(--mute);margin:.3em 0}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:.35em}
.hatch{background-image:repeating-linear-gradient(45deg,rgba(0,0,0,.18) 0 4px,transparent 4px 8px)}
.compat{display:grid;grid-template-columns:minmax(160px,220px) 1fr;gap:.5em 1em;align-items:stretch}
.tlabel{padding:.3em 0}.tlabel b{display:block}.tlabel span{color:var(--mute);font-size:.85em}
.dblocks{display:flex;flex-wrap:wrap;gap:4px}
.dblock{flex-basis:0;min-width:8.5em;border-radius:6px;padding:.35em .5em;color:#fff;position:relative;
font-size:.85em;line-height:1.3;overflow:hidden}
.dblock b{font-size:1.05em}.dblock small{display:block;opacity:.92;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ev-probe{background:#2b7a4b}.ev-version{background:#3b6fb6}.ev-policy{background:#6b5fa8}
.dblock.drift{box-shadow:inset 0 0 0 3px var(--err)}
.dblock .mark{display:inline-block;background:rgba(255,255,255,.92);color:var(--ink);border-radius:3px;padding:0 .3em;
margin:.15em .2em 0 0;font-size:.85em}
.dblock .mark.bad{background:#fdecea;color:#8e1b10}
.sizer{float:right;color:var(--mute);font-size:.9em}
.bars{display:grid;grid-template-columns:minmax(140px,260px) 1fr minmax(220px,auto);gap:.35em 1em;align-items:center}
.bar{display:flex;height:18px;background:#eef1f5;border-radius:4px;overflow:hidden}
.bar i{display:block;height:100%}.bar.stuck{box-shadow:0 0 0 2px var(--nofacts)}
.b-used{background:var(--used)}.b-free{background:var(--free)}.b-res{background:var(--res)}
.bnum{color:var(--mute);font-variant-numeric:tabular-nums;font-size:.9em;white-space:nowrap}
.tools{display:flex;gap:1em;align-items:center;margin:.2em 0 .5em}
.tools input{font:inherit;padding:.3em .5em;border:1px solid var(--line);border-radius:4px;min-width:18em}
.count{color:var(--mute)}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eef1f5;position:sticky;top:0;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\25B2";font-size:.75em}
th[aria-sort=descending]::after{content:" \\25BC";font-size:.75em}
th[data-kind=num]{text-align:right}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.none,p.none{color:#a0a8b4}
tbody tr:hover{background:#f3f7fc}
details summary{cursor:pointer;color:#2c5fa3}
details.more{margin-top:.5em}
details .list{max-width:60em;max-height:16em;overflow:auto;color:var(--mute);padding:.2em 0}
.badge{display:inline-block;padding:0 .5em;border-radius:9px;color:#fff;font-size:.85em}
.pager{display:flex;gap:.5em;align-items:center;margin-top:.5em}
.pager button{font:inherit;padding:.1em .7em;border:1px solid var(--line);background:#fff;border-radius:4px;cursor:pointer}
.pager button:disabled{opacity:.4;cursor:default}
nav a{color:#c5cedb;margin-right:1em;text-decoration:none}
"""


_SCRIPT = r"""
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


_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{% if generated_at %}
<meta name="generated-at" content="{{ generated_at }}">
{% endif %}
<title>mdev migration audit</title>
<style>{{ css | safe }}</style>
<noscript><style>.tools,.pager,.sizer{display:none}</style></noscript>
</head>
<body>
<header>
<h1>mdev migration audit</h1>
<p>{% if generated_at %}Generated {{ generated_at }}{{ ", with write probes" if probed else "" }}. {% endif %}
{% for label, value, _t in summary[:1] %}{{ value | count("host") }}.{% endfor %}</p>
<nav>{% for t in tables %}<a href="#{{ t.id }}">{{ t.title }}</a>{% endfor %}</nav>
</header>
<main>
<div class="kpis" id="summary">
{% for label, value, tone in summary %}
<div class="kpi{{ ' ' ~ tone if tone else '' }}"><b>{{ value | thousands }}</b><span>{{ label }}</span></div>
{% endfor %}
</div>

<section class="card" id="pic-hosts">
<h2>Host status</h2>
<div class="legend">
{% for slug, label, n in strip_counts %}
<span><i class="st-{{ slug }}"></i>{{ label }}: <b data-state="{{ slug }}">{{ n | thousands }}</b></span>
{% endfor %}
{% if per_cell > 1 %}<span>one cell = {{ per_cell | count("host") }} in name order, coloured by the worst of them</span>{% endif %}
</div>
<div class="strip" id="host-strip">
{% for c in strip %}<i class="st-{{ c.slug }}" title="{{ c.title }}"></i>{% endfor %}
</div>
</section>

<section class="card" id="pic-compat">
<h2>Compatibility: types and their migration domains
<span class="sizer">block size:
<label><input type="radio" name="sizeby" value="hosts" checked> hosts</label>
<label><input type="radio" name="sizeby" value="free"> free instances</label></span></h2>
<p class="note">Each block is a migration domain: its members can migrate among each other, not to another block.
Colour = evidence;
<span class="mark" style="box-shadow:inset 0 0 0 2px var(--err)">outlined</span> = holds version drift;
&larr; = accepts another domain's version one way (write probe).</p>
<div class="legend"><span><i class="ev-probe"></i>probe</span><span><i class="ev-version"></i>version</span>
<span><i class="ev-policy"></i>policy (identity facts)</span></div>
<div class="compat">
{% for t in compat %}
<div class="tlabel"><b>{{ t.type_id }}</b><span>{{ t.name or t.kind }} &middot; {{ t.hosts | count("host") }}
{% if t.unsupported %} &middot; {{ t.unsupported }} without migration{% endif %}</span></div>
<div class="dblocks">
{% for b in t.blocks %}
<div class="dblock ev-{{ b.evidence }}{{ ' drift' if b.drift else '' }}" data-domain="{{ b.id }}"
 data-hosts="{{ b.hosts }}" data-free="{{ b.free }}" style="flex-grow:{{ [b.hosts, 0.2] | max }}"
 title="{{ b.id }}: {{ b.evidence }} evidence; versions: {{ b.versions | join(', ') or 'none' }}">
<b>{{ b.id }}</b>
<small>{{ b.hosts | count("host") }} &middot; {{ b.free | thousands }} free &middot; {{ b.used | thousands }} used</small>
<small>{{ b.versions | join(', ') if b.versions else b.evidence }}</small>
{% for src in b.accepts_from %}<span class="mark oneway">&larr; {{ src }} one-way</span>{% endfor %}
{% for dst in b.accepted_by %}<span class="mark oneway-src">&rarr; {{ dst }}</span>{% endfor %}
{% if b.drift %}<span class="mark">drift</span>{% endif %}
{% if b.stranded %}<span class="mark bad">{{ b.stranded }} stuck</span>{% endif %}
</div>
{% else %}
<p class="note">no migration domain</p>
{% endfor %}
</div>
{% endfor %}
</div>
</section>

<section class="card" id="pic-capacity">
<h2>Capacity per migration domain</h2>
<p class="note">Fullest first: domains with devices that cannot be evacuated, then by the share of instances free.</p>
<div class="legend"><span><i class="b-used"></i>used</span><span><i class="b-free"></i>free</span>
<span><i class="b-res"></i>reserved</span></div>
{% macro bar_rows(rows) %}
<div class="bars">
{% for b in rows %}
<div><b>{{ b.id }}</b> <span class="count">{{ b.hosts | count("host") }}</span></div>
<div class="bar{{ ' stuck' if b.stranded else '' }}" data-domain="{{ b.id }}"
 title="{{ b.id }}: {{ b.used }} used, {{ b.free }} free, {{ b.reserved }} reserved">
<i class="b-used" style="width:{{ b.used_pct }}%"></i>
<i class="b-free" style="width:{{ b.free_pct }}%"></i>
<i class="b-res" style="width:{{ b.reserved_pct }}%"></i></div>
<div class="bnum">{{ b.used | thousands }} used &middot; {{ b.free | thousands }} free &middot;
{{ b.reserved | thousands }} reserved
{%- if b.stranded %} &middot; <b>{{ b.stranded }} without target</b>{% endif %}</div>
{% endfor %}
</div>
{% endmacro %}
{% if not bars %}
<p>None.</p>
{% endif %}
{{ bar_rows(bars[:bars_shown]) }}
{% if bars | length > bars_shown %}
<details class="more"><summary>{{ ((bars | length) - bars_shown) | count("more domain") }}, with more headroom</summary>
{{ bar_rows(bars[bars_shown:]) }}
</details>
{% endif %}
</section>

{% for t in tables %}
<section class="card" id="{{ t.id }}"{% if t.rows %} data-table="{{ t.id }}"{% endif %}>
<h2>{{ t.title }} <span class="count">{{ t.rows | length | thousands }}</span></h2>
{% if t.note %}<p class="note">{{ t.note }}</p>{% endif %}
{% if not t.rows %}
<p class="none">None.</p>
{% else %}
{% if t.rows | length > page_size %}
<noscript><p class="note">The first {{ page_size }} of {{ t.rows | length | thousands }} rows; all of them are in the
JSON and Markdown reports.</p></noscript>
{% endif %}
<div class="tools"><input class="filter" type="search" placeholder="Filter rows&hellip;"
 aria-label="Filter {{ t.title | lower }}"><span class="count"></span></div>
<table id="table-{{ t.id }}">
<thead><tr>{% for label, kind, noun in t.columns %}
<th data-kind="{{ kind }}"{% if noun %} data-noun="{{ noun }}"{% endif %}>{{ label }}</th>
{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows[:page_size] %}
<tr>{% for value in row %}{% set kind = t.columns[loop.index0][1] %}
{% if value is none or (kind == 'list' and not value) %}<td class="none">-</td>
{% elif kind == 'list' and value | length == 1 %}<td>{{ value[0] }}</td>
{% elif kind == 'list' %}<td><details>
<summary>{{ value | length | thousands }} {{ t.columns[loop.index0][2] }}</summary>
<div class="list">{{ value[:list_inline] | join(', ') }}{% if value | length > list_inline %} &hellip;{% endif %}</div>
</details></td>
{% elif kind == 'status' %}<td><span class="badge st-{{ slugs.get(value, 'err') }}">{{ value }}</span></td>
{% elif kind == 'num' %}<td class="num">{{ value | thousands }}</td>
{% else %}<td>{{ value }}</td>
{% endif %}{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
<div class="pager"{% if t.rows | length <= page_size %} hidden{% endif %}><button class="prev" type="button" disabled>&lsaquo; previous</button>
<span class="page"></span><button class="next" type="button">next &rsaquo;</button></div>
{% endif %}
</section>
{% endfor %}
</main>
<script type="application/json" id="report-data">{{ data | safe }}</script>
<script>{{ script | safe }}</script>
</body>
</html>
"""


def generated_at_of(fmt, text):
    """The ``generated_at`` of an existing rendering, or None: to compare reports without it."""
    if fmt == "json":
        try:
            value = json.loads(text).get("generated_at")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None
    match = _GENERATED_AT[fmt].search(text)
    return html.unescape(match.group(1)) if match else None


_GENERATED_AT = {
    "markdown": re.compile(r"^Generated (.*?)(?:, with write probes)?\.$", re.M),
    "html": re.compile(r'<meta name="generated-at" content="([^"]*)">'),
}


def render(report, fmt):
    if fmt == "json":
        return render_json(report)
    return render_markdown(report) if fmt == "markdown" else render_html(report)
