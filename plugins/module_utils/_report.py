# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fleet audit report: build it from facts, render it as Markdown or HTML (PRIVATE to the collection).

Pure functions without I/O. The report's JSON layout is documented in docs/report-schema.json
and versioned by ``report_version``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.module_utils._policy import fleet_members, migration_domains

REPORT_VERSION = 1


def _majority(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[0][0] if counts else None


def build_report(fleet, accepts=None, generated_at=None, probed=False):
    """The audit report of ``fleet`` (host -> mdev facts, None when a host has no facts)."""
    types = {}
    for host, kernel, kind, parent, type_id, member in fleet_members(fleet):
        entry = types.setdefault((kind, type_id), {
            "kind": kind, "type_id": type_id, "name": member.get("name"), "hosts": set(), "versions": {},
            "capacity": 0, "devices": 0, "placements": []})
        version = (member.get("migration") or {}).get("version")
        supported = (member.get("migration") or {}).get("supported")
        if entry["name"] is None:
            entry["name"] = member.get("name")
        entry["hosts"].add(host)
        if version is not None:
            entry["versions"].setdefault(version, set()).add(host)
        entry["capacity"] += member["available"]
        entry["devices"] += len(member["devices"])
        entry["placements"].append({"host": host, "parent": parent, "available": member["available"],
                                    "devices": len(member["devices"]), "version": version,
                                    "migration_supported": supported, "driver_version": member.get("driver_version"),
                                    "kernel_release": kernel})
    type_list, drift = [], []
    for (kind, type_id) in sorted(types, key=lambda k: (k[1], k[0])):
        entry = types[(kind, type_id)]
        versions = [p["version"] for p in entry["placements"] if p["version"] is not None]
        common = _majority(versions)
        for placement in entry["placements"]:
            if placement["version"] is not None and placement["version"] != common:
                drift.append({"type_id": type_id, "host": placement["host"], "parent": placement["parent"],
                              "version": placement["version"], "common_version": common})
        type_list.append({
            "kind": kind, "type_id": type_id, "name": entry["name"], "hosts": sorted(entry["hosts"]),
            "versions": {v: sorted(h) for v, h in sorted(entry["versions"].items())},
            "capacity": entry["capacity"], "devices": entry["devices"],
            "placements": sorted(entry["placements"], key=lambda p: (p["host"], p["parent"])),
        })
    domains = migration_domains(fleet, accepts)
    stranded = [dict(s, type_id=d["type_id"], domain=d["id"]) for d in domains["domains"] for s in d["stranded"]]
    hosts = []
    for host in sorted(fleet):
        facts = fleet[host]
        if facts is None:
            hosts.append({"host": host, "status": "no facts", "kernel_release": None, "parents": 0, "devices": 0,
                          "vendor_vfio": 0, "errors": 0})
            continue
        hosts.append({"host": host, "status": "ok" if not facts.get("errors") else "errors",
                      "kernel_release": facts.get("kernel_release"), "parents": len(facts.get("parents") or {}),
                      "devices": len(facts.get("devices") or {}) + sum(
                          1 for vf in (facts.get("vendor_vfio") or {}).values() if vf.get("current_type")),
                      "vendor_vfio": len(facts.get("vendor_vfio") or {}), "errors": len(facts.get("errors") or [])})
    errors = [dict(e, host=h) for h in sorted(fleet) if fleet[h] for e in (fleet[h].get("errors") or [])]
    return {
        "report_version": REPORT_VERSION,
        "generated_at": generated_at,
        "probed": bool(probed),
        "summary": {
            "hosts": len(fleet),
            "hosts_with_facts": sum(1 for f in fleet.values() if f is not None),
            "hosts_without_facts": sorted(h for h, f in fleet.items() if f is None),
            "types": len(type_list),
            "devices": sum(t["devices"] for t in type_list),
            "capacity": sum(t["capacity"] for t in type_list),
            "domains": len(domains["domains"]),
            "stranded_devices": len(stranded),
            "version_drift": len(drift),
            "errors": len(errors),
        },
        "hosts": hosts,
        "types": type_list,
        "version_drift": drift,
        "domains": domains["domains"],
        "unsupported": domains["unsupported"],
        "one_way": domains["one_way"],
        "stranded": stranded,
        "errors": errors,
    }


# -- rendering ---------------------------------------------------------------------------------


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def _tables(report):
    """The report as (title, id, headers, rows, note) tables, shared by both renderers."""
    s = report["summary"]
    yield ("Summary", "summary", ["hosts", "with facts", "without facts", "types", "devices", "free instances",
                                  "domains", "devices without target", "version drift", "read errors"],
           [[s["hosts"], s["hosts_with_facts"], _cell(s["hosts_without_facts"]), s["types"], s["devices"],
             s["capacity"], s["domains"], s["stranded_devices"], s["version_drift"], s["errors"]]], None)
    yield ("Hosts", "hosts", ["host", "status", "kernel", "parents", "devices in use", "vendor-VFIO VFs", "read errors"],
           [[h["host"], h["status"], _cell(h["kernel_release"]), h["parents"], h["devices"], h["vendor_vfio"],
             h["errors"]] for h in report["hosts"]], None)
    yield ("Types", "types", ["type", "name", "kind", "hosts", "versions", "devices", "free instances"],
           [[t["type_id"], _cell(t["name"]), t["kind"], _cell(t["hosts"]), _cell(list(t["versions"])), t["devices"],
             t["capacity"]] for t in report["types"]], None)
    yield ("Version drift", "drift", ["type", "host", "parent", "version", "most common version"],
           [[d["type_id"], d["host"], d["parent"], d["version"], d["common_version"]] for d in report["version_drift"]],
           "Hosts whose version differs from the rest of their type.")
    yield ("Migration domains", "domains", ["domain", "type", "evidence", "hosts", "versions", "devices",
                                            "free instances", "devices without target"],
           [[d["id"], d["type_id"], d["evidence"], _cell(d["hosts"]), _cell(d["versions"]), d["devices"], d["capacity"],
             len(d["stranded"])] for d in report["domains"]],
           "Members of a domain can migrate among each other.")
    yield ("Devices that cannot be evacuated", "stranded", ["host", "device", "type", "domain"],
           [[x["host"], x["device"], x["type_id"], x["domain"]] for x in report["stranded"]],
           "No compatible target with free capacity on another host.")
    yield ("One-way acceptance", "one-way", ["type", "version", "accepted by hosts running", "hosts"],
           [[o["type_id"], o["from_version"], o["to_version"], _cell(o["to_hosts"])] for o in report["one_way"]],
           "A write probe showed that these hosts accept the version, but not the other way round.")
    yield ("Types without migration support", "unsupported", ["host", "parent", "type"],
           [[u["host"], u["parent"], u["type_id"]] for u in report["unsupported"]], None)
    yield ("Read errors", "errors", ["host", "path", "errno", "message"],
           [[e["host"], e["path"], e["errno"], e["message"]] for e in report["errors"]], None)


def _md_escape(value):
    return _cell(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(report):
    lines = ["# mdev migration audit", ""]
    if report.get("generated_at"):
        lines += ["Generated %s%s." % (report["generated_at"], ", with write probes" if report.get("probed") else ""), ""]
    for title, _anchor, headers, rows, note in _tables(report):
        lines += ["## %s" % title, ""]
        if note:
            lines += [note, ""]
        if not rows:
            lines += ["None.", ""]
            continue
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "|".join("---" for _h in headers) + "|")
        lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def _html_escape(value):
    return (_cell(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


_CSS = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 2em}"
        "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f0f0f0}"
        "td.num{text-align:right}p.note{color:#555}")


def render_html(report):
    """A self-contained page: inline CSS, no scripts, no external resources."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>mdev migration audit</title><style>%s</style></head><body>" % _CSS,
           "<h1>mdev migration audit</h1>"]
    if report.get("generated_at"):
        out.append("<p>Generated %s%s.</p>" % (_html_escape(report["generated_at"]),
                                               ", with write probes" if report.get("probed") else ""))
    for title, anchor, headers, rows, note in _tables(report):
        out.append('<h2 id="%s">%s</h2>' % (anchor, _html_escape(title)))
        if note:
            out.append('<p class="note">%s</p>' % _html_escape(note))
        if not rows:
            out.append("<p>None.</p>")
            continue
        out.append('<table id="table-%s"><thead><tr>%s</tr></thead><tbody>' % (
            anchor, "".join("<th>%s</th>" % _html_escape(h) for h in headers)))
        for row in rows:
            out.append("<tr>%s</tr>" % "".join(
                '<td class="num">%s</td>' % c if isinstance(c, int) and not isinstance(c, bool)
                else "<td>%s</td>" % _html_escape(c) for c in row))
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
