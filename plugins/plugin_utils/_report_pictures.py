# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pictures of the HTML report: host status strip, compatibility blocks, capacity bars (PRIVATE to
the collection).

Pure functions of a report (the data of ``_report_model.build_report``) that return plain data for
``_report_page``'s template; no markup here, no I/O. Also the host status names, their CSS slugs
and their order (worst last), which the tables use too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

STRIP_CELLS = 2000       # most cells of the host status strip; beyond, a cell stands for several hosts
STATUS_SLUG = {"ok": "ok", "errors": "err", "no facts": "nofacts"}
STATUS_LABEL = {"ok": "ok", "errors": "read errors", "no facts": "no facts"}
STATUS_ORDER = ("ok", "errors", "no facts")   # worst last


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
