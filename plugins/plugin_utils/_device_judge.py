# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One source judged against a whole fleet, once per kind of source (PRIVATE to the collection).

Contract: ``DeviceJudge(fleet, context).records(source)`` is ``judge_device`` of ``source`` on
every host of ``fleet`` (``{host: facts}``), without the records' ``host``: sources that
``judge_device`` cannot tell apart (same ``signature_of``) share one pass, and within a pass
hosts with equal ``_judge_kinds`` keys share one record. ``fits`` is what ``migration_targets``
with ``min_available=1`` would select; ``fitting`` the hosts whose record alone would (``takes``
adds the host-level rules); ``stranded_reasons`` says why a device goes nowhere.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import PerRecord
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._host_verdict import host_level_problem, judge_device
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._judge_kinds import TargetKeys, frozen
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import COMPATIBLE


# Of a source, what host-level rules alone read (``host_level_problem``, asked of each host).
_HOST_LEVEL = frozenset(("host", "device", "parent", "machine_id", "boot_id"))


def signature_of(source, part_of=frozen):
    """Everything of a source that ``judge_device`` reads: sources with equal signatures are judged alike.

    Its host, parent and machine are read by host-level rules only (``host_level_problem``, asked
    of each host); of its device, only whether there is one (a device has its own version record).
    ``part_of`` freezes each of its values that is not a string, None or a number: ``frozen``, or a
    ``_facts_shape.PerRecord`` of it where many sources hold the same records (the audit's shared
    facts), so that each record is walked once."""
    return source.get("device") is not None, frozenset([
        (key if key.__class__ is str else frozen(key), value if value.__class__ is str or value is None else
         (value.__class__, value) if value.__class__ in _NUMBERS else part_of(value))
        for key, value in source.items() if key not in _HOST_LEVEL])


# Frozen as ``frozen`` freezes them, without a call (a source's flags and counts).
_NUMBERS = (bool, int)


def _count_key(record):
    return record["verdict"] if record["verdict"] != COMPATIBLE or record["capacity"] >= 1 else "compatible but full"


def _verdict_counts(records):
    counts = {}
    for record in records:
        key = _count_key(record)
        counts[key] = counts.get(key, 0) + 1
    return counts


class DeviceJudge:
    """``judge_device`` of a source against every host of the fleet, once per signature: sources
    with equal signatures are judged alike, so a fleet of many equal devices costs one pass each."""

    def __init__(self, fleet, context):
        self.fleet = fleet
        self.context = context
        self.keys = TargetKeys(fleet, context)
        self._parts = PerRecord(frozen)     # a source's records, frozen once for all its devices
        self._judged = {}       # signature -> ({host: record}, [hosts whose record fits], verdict counts)
        self._records = {}      # (signature, target key) -> record

    def _pass(self, source):
        signature = signature_of(source, self._parts)
        found = self._judged.get(signature)
        if found is None:
            records = {}
            for host in sorted(self.fleet):
                key = (signature, self.keys.host(host, source["kind"], source["type_id"]))
                record = self._records.get(key)
                if record is None:
                    record = self._records[key] = judge_device(source, host, self.fleet[host], self.context)
                    del record["host"]      # shared by every host of this key
                records[host] = record
            found = self._judged[signature] = (records, [h for h, r in records.items() if _fits(r)],
                                               _verdict_counts(records.values()))
        return found

    def records(self, source):
        """``{host: record}`` of ``source`` on every host (its own included); records are shared, read only."""
        return self._pass(source)[0]

    def fitting(self, source):
        """The hosts, in order, whose record alone would take ``source`` (compatible, a free instance)."""
        return self._pass(source)[1]

    def takes(self, source, host):
        """Whether ``host``, one of ``fitting(source)``, also passes the host-level rules."""
        return host_level_problem([source], host, self.fleet[host], self.context) is None

    def fits(self, source, host):
        """Whether ``host`` would be selected for ``source`` alone (min_available=1)."""
        return _fits(self.records(source)[host]) and self.takes(source, host)

    def stranded_reasons(self, source, host):
        """Why ``source``, a device of ``host``, goes nowhere: the other hosts' verdicts counted."""
        records, _fitting, counts = self._pass(source)
        own = records.get(host)
        if own is not None:
            counts = dict(counts)
            counts[_count_key(own)] -= 1
            counts = dict((k, n) for k, n in counts.items() if n)
        return _stranded_reasons(counts, own)


def _fits(record):
    return record["verdict"] == COMPATIBLE and record["capacity"] >= 1


def _stranded_reasons(counts, own):
    reasons = ["no other host can take it with a free instance (%s)" % (
        ", ".join("%s: %d" % kv for kv in sorted(counts.items())) or "no other host in the fleet")]
    if own and own["verdict"] != COMPATIBLE:
        reasons.append("on its own host: %s" % "; ".join(own["reasons"][:2]))
    return reasons
