# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Equal records of many hosts' facts held once (PRIVATE to the collection).

A fleet repeats itself: 10,000 hosts with the same boards publish the same type records, and
the audit holds every host's facts while it builds its report. ``SharedRecords.of(facts)``
returns the facts with each type record, each parent's PCI identity and each device's migration
record replaced by an equal one seen before, so each distinct record is held once.

Contract: records are shared only when ``_judge_kinds.frozen`` finds them equal, that is equal as
data (``True`` is not ``1``, as a key or a value; a value that is not JSON data, or is nested too
deep to compare, is equal to nothing), so no reader can tell a shared record from its own but by
its key order, which every reader ignores (keys are looked up or sorted). The facts given are not
changed: the mappings above the shared records are new. Shared facts are read only, like all
facts here. For the audit's report only: its files are written from the records, and nothing
templates them afterwards.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._judge_kinds import frozen


class SharedRecords:
    """The records seen so far, one object per distinct record."""

    def __init__(self):
        self._seen = {}

    def _one(self, record):
        if not isinstance(record, Mapping):
            return record
        return self._seen.setdefault(frozen(record), record)

    def of(self, facts):
        """``facts`` (shape-checked by ``_facts_shape.host_problem``) with equal records shared."""
        shared = dict(facts)
        parents = facts.get("parents")
        if isinstance(parents, Mapping):
            shared["parents"] = dict((name, self._parent(parent)) for name, parent in parents.items())
        devices = facts.get("devices")
        if isinstance(devices, Mapping):
            shared["devices"] = dict((uuid, self._device(device)) for uuid, device in devices.items())
        return shared

    def _parent(self, parent):
        if not isinstance(parent, Mapping):
            return parent
        shared = dict(parent)
        if isinstance(parent.get("types"), Mapping):
            shared["types"] = dict((type_id, self._one(mtype)) for type_id, mtype in parent["types"].items())
        if "pci" in parent:
            shared["pci"] = self._one(parent["pci"])
        return shared

    def _device(self, device):
        if not isinstance(device, Mapping) or not isinstance(device.get("migration"), Mapping):
            return device
        return dict(device, migration=self._one(device["migration"]))
