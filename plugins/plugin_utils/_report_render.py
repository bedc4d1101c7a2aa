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

Here: the public entry points (``render``, ``pieces``, ``render_json``, ``render_markdown``,
``render_html``, ``generated_at_of``), the tables and summary shared by Markdown and HTML, and the
Markdown template. The pictures are computed in ``_report_pictures`` (``host_strip``, ``compatibility`` and
``capacity_bars`` are importable from here too), the HTML template and CSS are in ``_report_page``,
the inline script in ``_report_page_script``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json
import re

from jinja2 import DictLoader, Environment, StrictUndefined

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_page import PAGE_CSS, PAGE_TEMPLATE
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_page_script import PAGE_SCRIPT
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_pictures import (
    STATUS_SLUG,
    capacity_bars,
    compatibility,
    host_strip,
)
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_rows import Rows, ValueTexts, as_json_data, json_text

PAGE_SIZE = 100          # table rows on one page
LIST_INLINE = 200        # list items written into the page without scripts (all of them are in the data)
MD_LIST_ITEMS = 20       # list items shown in a Markdown cell
BARS_SHOWN = 40          # capacity bars shown before the rest are folded


def _compact(value):
    # Without ``indent`` the json module uses its C encoder: the report of 10,000 hosts is
    # written in a second instead of ten. A type's placements and a domain's members may be
    # ``Rows``, made dicts one list at a time as they are written.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=as_json_data)


def _item_text(item, texts):
    """``_compact(item)``. A record holding ``Rows`` (a type's placements, a domain's members) is
    written key by key, its rows column by column (``_report_rows.json_text``): the same text,
    without a dict per row."""
    if isinstance(item, dict) and any(isinstance(value, Rows) for value in item.values()) \
            and all(key.__class__ is str for key in item):
        return "{%s}" % ",".join(
            "%s:%s" % (_compact(key), json_text(value, texts) if isinstance(value, Rows) else _compact(value))
            for key, value in sorted(item.items()))
    return _compact(item)


def json_pieces(report):
    """``render_json``'s text in pieces, a line or a top-level list item each: a large report is
    written, or compared with a file, as it is rendered, never held whole."""
    texts = ValueTexts(_compact)    # the rows' values, each encoded once for the whole report
    yield "{\n"
    keys = sorted(report)
    for index, key in enumerate(keys):
        comma = "," if index < len(keys) - 1 else ""
        value = report[key]
        if isinstance(value, list) and value:
            yield "%s: [\n" % _compact(key)
            last = len(value) - 1
            for position, item in enumerate(value):
                yield _item_text(item, texts) + (",\n" if position < last else "\n")
            yield "]%s\n" % comma
        else:
            yield "%s: %s%s\n" % (_compact(key), _compact(value), comma)
    yield "}\n"


def render_json(report):
    """The report as JSON, keys sorted: each top-level key on its own line, and each item of a
    top-level list on its own line (one host, type or domain per line: greppable and diffable)."""
    return "".join(json_pieces(report))


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
                                 ("persistent / transient", text, None), ("reserved", text, None),
                                 ("VMs", text, None), ("vendor-VFIO VFs", num, None), ("read errors", num, None)],
              [[h["host"], h["status"], h["kernel_release"], h["parents"], h["devices"], _persistence(h),
                _known(h.get("reserved")), _known(h.get("vms"), h.get("vms_unknown")), h["vendor_vfio"], h["errors"]]
               for h in report["hosts"]],
              "Persistent devices have an mdevctl definition, transient ones are gone at reboot; reserved instances "
              "are promised to mdevctl auto-start definitions that are not active."),
        Table("types", "Types", [("type", text, None), ("name", text, None), ("kind", text, None),
                                 ("hosts", lst, "hosts"), ("versions", lst, "versions"), ("devices", num, None),
                                 ("free instances", num, None), ("reserved", num, None)],
              [[t["type_id"], t["name"], t["kind"], t["hosts"], list(t["versions"]), t["devices"], t["capacity"],
                t.get("reserved") or 0] for t in report["types"]]),
        Table("drift", "Version drift", [("type", text, None), ("host", text, None), ("parents", lst, "parents"),
                                         ("version", text, None), ("most common version", text, None)],
              [[d["type_id"], d["host"], d["parents"], d["version"], d["common_version"] or "(no majority)"]
               for d in report["version_drift"]],
              "Hosts whose version differs from the one most hosts of their type publish."),
        Table("domains", "Migration domains", [("domain", text, None), ("type", text, None), ("evidence", text, None),
                                               ("hosts", lst, "hosts"), ("versions", lst, "versions"),
                                               ("devices", num, None), ("free instances", num, None),
                                               ("reserved", num, None), ("devices without target", num, None),
                                               ("VMs", lst, "VMs")],
              [[d["id"], d["type_id"], d["evidence"], d["hosts"], d["versions"], d["devices"], d["capacity"],
                d.get("reserved") or 0, len(d["stranded"]), d.get("vms") or []] for d in report["domains"]],
              "Members of a domain can migrate among each other."),
        Table("stranded-vms", "VMs that cannot be evacuated", [("VM", text, None), ("host", text, None),
                                                               ("devices", lst, "devices"), ("why", lst, "reasons")],
              [[v["vm"], v["host"], v["devices"], list(v["reasons"])] for v in report.get("stranded_vms") or []],
              "No other host takes all of the VM's devices at once with a free instance (or, with no reason counted, "
              "its devices are not all known)."),
        Table("stranded", "Devices that cannot be evacuated", [("host", text, None), ("device", text, None),
                                                               ("type", text, None), ("domain", text, None),
                                                               ("reasons", lst, "reasons")],
              [[x.get("host"), x.get("device"), x.get("type_id"), x.get("domain"), list(x.get("reasons") or [])]
               for x in report["stranded"]],
              "No compatible target with free capacity on another host."),
        Table("vms", "VMs", [("VM", text, None), ("host", text, None), ("state", text, None),
                             ("persistent", text, None), ("devices", lst, "devices"), ("targets", num, None)],
              [[v["vm"], v["host"], v["state"], {True: "yes", False: "no"}.get(v["persistent"]), v["devices"],
                v["targets"]] for v in report.get("vms") or []],
              "Running VMs holding mdevs or vendor-VFIO VFs, and how many other hosts would take each whole."),
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


def _known(value, why=None):
    """A count that may be unknown (null): the number, or ``unknown`` with why."""
    if value is not None:
        return str(value)
    return "unknown (%s)" % why if why else "unknown"


def _persistence(host):
    if host.get("persistent_devices") is None:
        return "unknown"
    return "%d / %d" % (host["persistent_devices"], host["transient_devices"])


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
        ("VMs", s.get("vms", 0), None),
        ("VMs without target", s.get("stranded_vms", 0), "bad" if s.get("stranded_vms") else None),
        ("hosts with VMs unknown", len(s.get("hosts_vms_unknown") or []), "warn" if s.get("hosts_vms_unknown") else None),
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
    env = Environment(loader=DictLoader({"report.md": _MARKDOWN, "report.html": PAGE_TEMPLATE}), autoescape=autoescape,
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


# -- HTML ----------------------------------------------------------------------------------------


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
        css=PAGE_CSS, script=PAGE_SCRIPT, slugs=STATUS_SLUG,
        data=_script_json({"page": PAGE_SIZE, "tables": dict((t.id, t.rows) for t in table_list)}))


def generated_at_of(fmt, text):
    """The ``generated_at`` of an existing rendering, or None: to compare reports without it."""
    if fmt == "json":
        # Read from its own line (``render_json`` puts it there), without parsing a file that
        # may hold 100 MB; a file in another layout is simply rendered anew.
        match = _GENERATED_AT_JSON.search(text)
        try:
            value = json.loads(match.group(1)) if match else None
        except ValueError:
            return None
        return value if isinstance(value, str) else None
    match = _GENERATED_AT[fmt].search(text)
    return html.unescape(match.group(1)) if match else None


_GENERATED_AT_JSON = re.compile(r'^"generated_at": ("(?:[^"\\]|\\.)*"),?$', re.M)
_GENERATED_AT = {
    "markdown": re.compile(r"^Generated (.*?)(?:, with write probes)?\.$", re.M),
    "html": re.compile(r'<meta name="generated-at" content="([^"]*)">'),
}


def pieces(report, fmt):
    """The rendering of ``report`` as ``fmt`` in pieces, in order: ``render``'s text once joined."""
    if fmt == "json":
        return json_pieces(report)
    return iter([render_markdown(report) if fmt == "markdown" else render_html(report)])


def render(report, fmt):
    return "".join(pieces(report, fmt))
