# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Equal records and names of many hosts' facts held once (PRIVATE to the collection).

A fleet repeats itself: 10,000 hosts with the same boards publish the same type records, and
the audit holds every host's facts while it builds its report. ``SharedRecords.of(facts)``
returns the facts with each type record, each parent's PCI identity, each device's migration
record and the ``gather_subset`` list replaced by an equal one seen before, so each distinct
record is held once; and with the names many hosts repeat (the keys of the facts, of their parents,
types and devices, parent names, type ids, and the strings of a record seen for the first time)
held as one string object each. Each host's JSON is decoded on its own, so without this every host
holds its own copy of each name.

Contract: records are shared only when equal as data: their JSON texts (keys sorted) are equal, so
``True`` is not ``1``, ``1`` is not ``1.0``, as a key or a value, and they are equal as Python
values, so a list is not a tuple and a key ``1`` is not ``"1"``; a value that is not JSON data (a
set, an object, a mapping that is not a dict), or is nested too deep to encode, is equal to
nothing. No reader can tell a shared record from its own but by its key order, which every reader
ignores (keys are looked up or sorted), and by the class of its values: a shared record is a plain
``dict`` or ``list`` holding the values of the host that published it first, and a value of a
subclass of ``str``, ``int``, ``float`` or ``list`` (ansible-core's tagged values, from variables
read from YAML) is equal to the plain value with the same text (readers compare values, and test
types with ``isinstance``). A name is replaced by the shared one only when it is a plain ``str``.
The facts given are not changed: the mappings above the shared records are new. Shared facts are
read only, like all facts here. For the audit's report only: its files are written from the
records, and nothing templates them afterwards.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import json.encoder
from collections.abc import Mapping


def _not_json(value):
    raise TypeError("%s is not JSON data" % type(value).__name__)


def _text_encoder(make=None):
    """A function that gives the compact JSON text of a value, keys sorted, refusing what is not
    JSON data. The json module's C encoder, made once: ``json.dumps`` makes one per call, which
    costs a third of the time on records this small. The json module's own encoder where the C
    one is missing or does not answer as expected."""
    slow = json.JSONEncoder(sort_keys=True, separators=(",", ":"), check_circular=False).encode
    make = make or getattr(json.encoder, "c_make_encoder", None)
    try:
        # markers None: no check for cycles, which JSON data cannot have (a cycle ends in RecursionError).
        fast = make(None, _not_json, json.encoder.encode_basestring_ascii, None, ":", ",", True, False, True)

        def encode(value):
            return "".join(fast(value, 0))
        sample = {"b": [1, True, None, -0.0, "\u00e9"], "a": {"y": 1.5, "x": "z"}}
        if encode(sample) == slow(sample):
            return encode
    except Exception:   # pylint: disable=broad-except
        pass
    return slow


_json_text = _text_encoder()


class SharedRecords:
    """The records and names seen so far, one object per distinct record or name."""

    def __init__(self):
        self._seen = {}
        self._names = {}

    def _name(self, text):
        if text.__class__ is not str:
            return text
        return self._names.setdefault(text, text)

    def _one(self, record, nested=True):
        if not isinstance(record, (Mapping, list)):
            return record
        try:
            # The JSON text, keys sorted, by the C encoder: five times cheaper than walking the
            # record in Python, and what tells apart True from 1, 1 from 1.0, 0.0 from -0.0 and a
            # key True from a key 1. A value that is not JSON data, or nested too deep, is refused.
            key = _json_text(record)
        except (TypeError, ValueError, RecursionError):
            return record
        shared = self._seen.get(key)
        if shared is None:
            # First seen: its own keys and strings become the shared ones.
            shared = self._seen[key] = self._names_of(record, nested)
            return shared
        try:
            # And equal as Python values: what the text cannot tell apart (a list from a tuple, a
            # key 1 from a key "1") is not equal.
            return shared if shared == record else record
        except RecursionError:
            return record

    def _names_of(self, record, nested=False):
        """``record`` (a mapping or a list) with its keys and string values the shared names and,
        when ``nested``, the mappings in it shared records (one level: a type's migration record)."""
        # The shared name looked up inline (no call per name): 10,000 hosts hold a million names.
        known = self._names.setdefault
        if isinstance(record, list):
            return [known(item, item) if item.__class__ is str else item for item in record]
        if not nested:
            return {(known(key, key) if key.__class__ is str else key):
                    (known(value, value) if value.__class__ is str else value) for key, value in record.items()}
        return {(known(key, key) if key.__class__ is str else key):
                (known(value, value) if value.__class__ is str else
                 self._one(value, nested=False) if isinstance(value, Mapping) else value)
                for key, value in record.items()}

    def of(self, facts):
        """``facts`` (shape-checked by ``_facts_shape.host_problem``) with equal records shared."""
        shared = self._names_of(facts)
        parents = facts.get("parents")
        if isinstance(parents, Mapping):
            shared["parents"] = dict((self._name(name), self._parent(parent)) for name, parent in parents.items())
        devices = facts.get("devices")
        if isinstance(devices, Mapping):
            shared["devices"] = dict((uuid, self._device(device)) for uuid, device in devices.items())
        if isinstance(facts.get("gather_subset"), list):
            shared["gather_subset"] = self._one(facts["gather_subset"])
        return shared

    def _parent(self, parent):
        if not isinstance(parent, Mapping):
            return parent
        shared = self._names_of(parent)
        if isinstance(parent.get("types"), Mapping):
            shared["types"] = dict((self._name(type_id), self._one(mtype)) for type_id, mtype in parent["types"].items())
        if "pci" in parent:
            shared["pci"] = self._one(parent["pci"])
        return shared

    def _device(self, device):
        if not isinstance(device, Mapping):
            return device
        shared = self._names_of(device)
        if isinstance(device.get("migration"), Mapping):
            shared["migration"] = self._one(device["migration"])
        return shared
