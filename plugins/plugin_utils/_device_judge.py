# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One source judged against a whole fleet, once per kind of source (PRIVATE to the collection).

Contract: ``DeviceJudge(fleet, context).records(source)`` is ``judge_device`` of ``source`` on
every host of ``fleet`` (``{host: facts}``); sources that ``judge_device`` cannot tell apart
(same ``signature_of``) share one pass. ``fits`` is what ``migration_targets`` with
``min_available=1`` would select; ``stranded_reasons`` says why a device goes nowhere.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._host_verdict import host_level_problem, judge_device
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import COMPATIBLE


def signature_of(source):
    """Everything of a source that ``judge_device`` reads: sources with equal signatures are judged alike."""
    def frozen(value):
        if isinstance(value, dict):
            return tuple(sorted((k, frozen(v)) for k, v in value.items()))
        return value
    ignored = ("host", "device", "parent", "machine_id", "boot_id")
    return tuple((k, frozen(source.get(k))) for k in sorted(source) if k not in ignored)


def _verdict_counts(records):
    counts = {}
    for record in records:
        key = record["verdict"] if record["verdict"] != COMPATIBLE or record["capacity"] >= 1 else "compatible but full"
        counts[key] = counts.get(key, 0) + 1
    return counts


class DeviceJudge:
    """``judge_device`` of a source against every host of the fleet, once per signature: sources
    with equal signatures are judged alike, so a fleet of many equal devices costs one pass each."""

    def __init__(self, fleet, context):
        self.fleet = fleet
        self.context = context
        self._judged = {}

    def records(self, source):
        """``{host: record}`` of ``source`` on every host (its own included)."""
        signature = signature_of(source)
        if signature not in self._judged:
            self._judged[signature] = dict((h, dict(judge_device(source, h, self.fleet[h], self.context), host=h))
                                           for h in sorted(self.fleet))
        return self._judged[signature]

    def fits(self, source, host):
        """Whether ``host`` would be selected for ``source`` alone (min_available=1)."""
        record = self.records(source)[host]
        return record["verdict"] == COMPATIBLE and record["capacity"] >= 1 \
            and host_level_problem([source], host, self.fleet[host], self.context) is None


def stranded_reasons(records, host):
    """Why a device of ``host`` with these records goes nowhere: the other hosts' verdicts counted."""
    counts = _verdict_counts(r for h, r in records.items() if h != host)
    reasons = ["no other host can take it with a free instance (%s)" % (
        ", ".join("%s: %d" % kv for kv in sorted(counts.items())) or "no other host in the fleet")]
    own = records.get(host)
    if own and own["verdict"] != COMPATIBLE:
        reasons.append("on its own host: %s" % "; ".join(own["reasons"][:2]))
    return reasons
