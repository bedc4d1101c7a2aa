# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Ranking and selection of judged hosts (PRIVATE to the collection).

Contract: ``select(records, min_available)`` marks each host record ``selected`` with a
``rank`` and returns them all: selected first, best first (probe, then version, then policy
evidence; then most free capacity; then name), then the others by name. Only a ``compatible``
host with at least ``min_available`` free instances is selected: capacity is never mixed into
the verdict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import COMPATIBLE, EVIDENCE_RANK


def rank_key(record):
    return (EVIDENCE_RANK[record["evidence"]], -record["capacity"], record["host"])


def select(records, min_available=1):
    chosen, rejected = [], []
    for rec in records:
        if rec["verdict"] == COMPATIBLE and rec["capacity"] >= min_available:
            rec["selected"] = True
            chosen.append(rec)
        else:
            rec["selected"] = False
            if rec["verdict"] == COMPATIBLE:
                reserved = sum((rec.get("reserved") or {}).values())
                rec["why"] = ("compatible, but only %d free instance(s)%s where %d are required (min_available)"
                              % (rec["capacity"], " left after %d reserved by mdevctl auto-start definitions" % reserved
                                 if reserved else "", min_available))
                rec["reasons"] = rec["reasons"] + [rec["why"]]
            rejected.append(rec)
    chosen.sort(key=rank_key)
    rejected.sort(key=lambda r: r["host"])
    for index, rec in enumerate(chosen):
        rec["rank"] = index + 1
    for rec in rejected:
        rec["rank"] = None
    return chosen + rejected


def exclusion_summary(records):
    """One line per verdict group of the hosts left out: ``unknown: x9 (no mdev facts ...)``."""
    groups = {}
    for rec in records:
        if not rec.get("selected"):
            first = rec["reasons"][-1] if rec["reasons"] else "no reason recorded"
            groups.setdefault(rec["verdict"], []).append("%s (%s)" % (rec["host"], first))
    return ["%s: %s" % (verdict, "; ".join(hosts)) for verdict, hosts in sorted(groups.items())]
