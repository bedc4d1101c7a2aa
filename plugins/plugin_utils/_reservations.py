# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Capacity that mdevctl has promised away (PRIVATE to the collection).

Contract: a definition with ``start: auto`` that is not active is created at the host's next
boot, so the instance it will take is not free for a migration now. ``Reservations(facts)``
reads ``defined`` and ``mdevctl`` from a host's facts; ``on(parent, type_id)`` says what is
reserved on one parent for one type: ``(same_type, other_types, unknown_reason)``. Facts gathered
without the ``mdevctl`` subset reserve nothing (the operator did not ask); definitions that could
not be read make that parent's reservations unknown (``unknown_reason``), never zero.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import (
    mdevctl_listing_failed,
    subset_gathered,
)


class Reservations:
    """The reservations of one host's facts (shapes checked by ``_facts_shape.host_problem``)."""

    def __init__(self, facts):
        self.gathered = subset_gathered(facts, "mdevctl") and isinstance(facts.get("mdevctl"), Mapping)
        self.all_unknown = None
        self.unknown_parents = {}
        self.counts = {}        # (parent, type_id) -> reserved instances
        self.by_parent = {}     # parent -> reserved instances of all types
        if not self.gathered:
            return
        mdevctl = facts["mdevctl"]
        self.all_unknown = mdevctl_listing_failed(mdevctl)
        if self.all_unknown:
            return
        for parent in mdevctl.get("unreadable_parents") or ():
            self.unknown_parents[parent] = "mdevctl's definitions of parent %s could not be listed" % parent
        # A UUID defined under two parents (mdevctl allows it) reserves on both.
        entries = sorted((facts.get("defined") or {}).items()) + [
            (d.get("uuid"), d) for d in mdevctl.get("duplicates") or ()]
        for uuid, entry in entries:
            parent = entry.get("parent")
            if entry.get("type_id") is None or entry.get("start") is None or entry.get("active") is None:
                self.unknown_parents.setdefault(parent, "mdevctl definition %s of parent %s could not be read (%s)" % (
                    uuid, parent, entry.get("error") or "incomplete"))
            elif entry["start"] == "auto" and not entry["active"]:
                key = (parent, entry["type_id"])
                self.counts[key] = self.counts.get(key, 0) + 1
                self.by_parent[parent] = self.by_parent.get(parent, 0) + 1

    def on(self, parent, type_id):
        """``(same_type, other_types, unknown_reason)`` reserved on ``parent`` for ``type_id``."""
        unknown = self.all_unknown or self.unknown_parents.get(parent)
        same = self.counts.get((parent, type_id), 0)
        return same, self.by_parent.get(parent, 0) - same, unknown

    def total(self, parent, type_id):
        """Instances of ``type_id`` reserved on ``parent``, or None when unknown (for reports)."""
        if not self.gathered:
            return None
        same, _other, unknown = self.on(parent, type_id)
        return None if unknown else same
