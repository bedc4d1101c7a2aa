# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the pair rule reads of a target, as a key: targets with equal keys are judged alike (PRIVATE).

A fleet repeats itself: thousands of hosts with the same boards, driver and kernel. The audit
judges each kind of target once instead of each target, so a key must hold *everything* a
judgement reads, or two targets the rule would tell apart share one verdict.

Contract: ``frozen(value)`` is hashable and equal for equal data only (a boolean is not an
integer here, since the rule tells ``True`` from ``1`` with ``is True`` and ``is_int``).
``TargetKeys(fleet, context)``:

- ``member(host, parent, type_id, kind)``: what ``_host_verdict.parent_results(source, host, facts,
  context, only=parent)`` reads of the target beside the source, and what ``_source.of_type``
  reads of it as a source, except the free instances: its verdict and evidence are equal for
  equal keys, its capacity and reasons are not.
- ``host(host, kind, type_id)``: what ``judge_device`` reads of the target for a source of that
  kind and type: its whole record is equal for equal keys, apart from its ``host``.

Host-level rules (no facts, malformed, stale, the source's own machine, a UUID clash) are not
in any key: ``host_level_problem`` is asked of each host. Whatever cannot be keyed exactly (a
``where`` expression or ``match_vars``, which read the host itself; vendor-VFIO GPUs; a malformed
type) gets a key of its own host, so nothing is shared.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
from collections.abc import Mapping

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import is_int
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _facts_shape as shape
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._reservations import Reservations
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import KIND_MDEV

# Read of a type by no judgement: its devices, and its free instances (capacity only).
_TYPE_NOT_JUDGED = ("devices", "available_instances")


def frozen(value, leave_out=()):
    """A hashable value, equal for equal data only: the same keys (of the same types) and values of
    the same types (``True``, ``1``, ``1.0`` and ``-0.0`` stay apart, as do a list and a tuple); a
    value that is not JSON data, or nested too deep to walk, equals nothing else, so it is never
    shared. Of a mapping, without the keys in ``leave_out``. A mapping's key order is not kept:
    every reader looks keys up or sorts them."""
    if value.__class__ is int:
        return int, value       # a member's free instances, asked for every target: without a call
    try:
        return _frozen(value, leave_out)
    except RecursionError:
        return _UNIQUE, id(value)


_UNIQUE = "shared with nothing"


def _frozen(value, leave_out=()):
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, Mapping):
        # Strings, most keys and values, are taken as they are without a call (a key per member of 10,000 hosts).
        return frozenset([(key if key.__class__ is str else _frozen(key), item if item.__class__ is str
                           else _frozen(item)) for key, item in value.items() if key not in leave_out])
    if isinstance(value, (list, tuple)):
        return (type(value),) + tuple(_frozen(item) for item in value)
    if isinstance(value, int):
        return (type(value), value)
    if isinstance(value, float):
        return (float, repr(value))     # 0.0 and -0.0 are equal, and a reason prints them apart
    return _UNIQUE, id(value)           # a set or an object: no key is safe but its own


def _one_of(same, part):
    """``part``, or the equal part in ``same`` seen before it."""
    return same.setdefault(part, part)


def _judged_type(same, mtype):
    return _one_of(same, frozen(mtype, leave_out=_TYPE_NOT_JUDGED))


class _OfParent:
    """One parent's part of its members' keys: ``common`` (the number of what they share: the
    parent, its host's kernel, types subset and probe outcome, and the parent's own record), its
    ``types`` and its host's ``reservations``, and ``keys``, type_id -> key, as they are made."""

    __slots__ = ("common", "types", "reservations", "keys")

    def __init__(self, common, types, reservations):
        self.common, self.types, self.reservations, self.keys = common, types, reservations, {}


class TargetKeys:
    """Keys of the targets of one fleet and one ``JudgeContext``, each part computed once."""

    def __init__(self, fleet, context):
        self.fleet = fleet
        self.context = context
        self._exact = context.where is None and not context.match_vars
        self._hosts = {}
        self._outcomes = {}
        # (host, parent) -> _OfParent and host -> {type_id: key}: nested rather than keyed by
        # tuples, which would take a tuple per member (20 MB at 10,000 hosts).
        self._members = {}
        self._targets = {}
        self._same = {}     # equal parts are one object: a key of 10,000 hosts holds few distinct parts
        # What the rule reads of a type record; a record many hosts share is frozen once. (Bound
        # to the table of parts, not to self: a cycle would outlive the call, the collector paused.)
        self._type_part = shape.PerRecord(functools.partial(_judged_type, self._same))
        self._numbers = {}

    def _shared(self, part):
        return _one_of(self._same, part)

    def _numbered(self, key):
        """The key's number, one per distinct key: the callers' dictionaries then hash a small
        integer instead of a nested tuple (a tuple hashes all of itself again at each lookup)."""
        return self._numbers.setdefault(key, len(self._numbers))

    def _host(self, host):
        part = self._hosts.get(host)
        if part is None:
            facts = self.fleet[host]
            part = self._hosts[host] = (self._shared(frozen(facts.get("kernel_release"))),
                                        shape.subset_gathered(facts, "types"), Reservations(facts))
        return part

    def _outcome(self, host):
        """The host's probe outcome, asked only where a judgement would ask it (a parent offers the type)."""
        if self.context.probes is None:
            return None
        if host not in self._outcomes:
            self._outcomes[host] = self._shared(frozen(self.context.probes(host)))
        return self._outcomes[host]

    def _of_parent(self, host, parent):
        """The parent's ``_OfParent``: what the keys of all its types share is made once per parent."""
        of_parent = self._members.get((host, parent))
        if of_parent is None:
            kernel, types_gathered, reservations = self._host(host)
            facts_of_parent = self.fleet[host]["parents"][parent]
            of_parent = self._members[(host, parent)] = _OfParent(
                self._numbered(("parent", parent, kernel, types_gathered, self._outcome(host),
                                self._shared(frozen(facts_of_parent, leave_out=("types",))))),
                facts_of_parent["types"], reservations)
        return of_parent

    def member(self, host, parent, type_id, kind=KIND_MDEV):
        """The key of one (host, parent, type) offered on the host, its type well-formed (a member)."""
        if not self._exact or kind != KIND_MDEV:
            return self._numbered(("host", host, parent))
        of_parent = self._of_parent(host, parent)
        key = of_parent.keys.get(type_id)
        if key is None:
            mtype = of_parent.types[type_id]
            capacity = mtype.get("available_instances")
            key = of_parent.keys[type_id] = self._numbered((
                of_parent.common, type_id, self._type_part(mtype),
                is_int(capacity) and capacity >= 0, of_parent.reservations.on(parent, type_id)))
        return key

    def host(self, host, kind, type_id):
        """The key of a host as the target of a source of ``kind`` and ``type_id``."""
        if not self._exact or kind != KIND_MDEV:
            return self._numbered(("host", host))
        of_host = self._targets.get(host)
        if of_host is None:
            of_host = self._targets[host] = {}
        key = of_host.get(type_id)
        if key is None:
            key = of_host[type_id] = self._numbered(self._mdev_host(host, type_id))
        return key

    def _mdev_host(self, host, type_id):
        facts = self.fleet[host]
        if not self._host(host)[1]:
            return ("types not gathered",)
        offers = []
        for parent in sorted(facts.get("parents") or {}):
            mtype = ((facts["parents"][parent] or {}).get("types") or {}).get(type_id)
            if mtype is None:
                continue
            # A member's key is made for well-formed types only: any other is checked here.
            of_parent = self._members.get((host, parent))
            key = None if of_parent is None else of_parent.keys.get(type_id)
            if key is None:
                if shape.type_problem("parents.%s.types.%s" % (parent, type_id), mtype):
                    return ("host", host)
                key = self.member(host, parent, type_id)
            offers.append((key, frozen(mtype.get("available_instances"))))
        return ("offers", tuple(offers))
