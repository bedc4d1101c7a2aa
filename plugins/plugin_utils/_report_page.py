# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HTML report page: its Jinja2 template and its CSS (PRIVATE to the collection).

``PAGE_TEMPLATE`` is rendered by ``_report_render.render_html`` with autoescaping on. It expects:
``generated_at``, ``probed``, ``summary`` (``_report_render.summary_items``), ``tables``
(``_report_render.Table`` objects), ``strip``, ``strip_counts``, ``per_cell``
(``_report_pictures.host_strip``), ``compat`` (``_report_pictures.compatibility``), ``bars`` and
``bars_shown`` (``_report_pictures.capacity_bars``), ``page_size``, ``list_inline``, ``slugs``
(status to CSS class), ``css`` (``PAGE_CSS``), ``script`` (``_report_page_script.PAGE_SCRIPT``)
and ``data`` (the table rows as JSON safe inside a ``<script>`` element), and the filters
``thousands`` and ``count``. The page is self-contained: nothing is fetched at view time; without
scripts, the first page of each table is still there. Plain strings, no logic.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


PAGE_CSS = """
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


PAGE_TEMPLATE = """\
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
