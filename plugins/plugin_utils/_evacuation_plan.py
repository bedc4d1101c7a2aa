# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An evacuation plan: every VM of a source host onto one target, capacity consumed as VMs are
placed (PRIVATE to the collection).

Contract: ``evacuation_plan(args, data, params)`` is the whole work of the filter
``evacuation_plan``. Every relation between a VM and a candidate is ``_host_verdict.judge_host``
(the rules of ``migration_targets``: host-level checks, the pair rule per device, probes,
``where``, ``match_vars``, mdevctl reservations); only a ``compatible`` host is ever used.
Capacity is ``_capacity_model.ParentCapacity`` per target parent.

Order (deterministic): most constrained first - the VMs with the fewest candidates able to take
them alone at the start, then the VMs with more devices, then by name. Each VM goes to the best
candidate on which every one of its devices finds a parent with an instance left (an exhaustive
search over the parents that are compatible for each device): best evidence first, then by
``strategy`` (``spread``: most instances left for the VM's types; ``pack``: fewest), then host
name. A VM that no candidate can take whole, given what is left when its turn comes, is
``unplaced`` with each candidate's reason. Since capacity only shrinks as the plan goes, no
unplaced VM fits any single candidate in the capacity left at the end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import heapq
from collections.abc import Sequence

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import is_int
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _source
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._capacity_model import ParentCapacity
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._device_judge import signature_of
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._fleet_input import Fleet
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._host_verdict import judge_device_parents, judge_host
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._targets import judge_context, source_facts
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vm_source import devices_problem, vms_unknown_reason
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import (
    COMPATIBLE,
    EVIDENCE_RANK,
    KIND_MDEV,
    PolicyInputError,
)

STRATEGIES = ("spread", "pack")


def existing_types(facts):
    """``{parent: {type_id}}`` of the devices a host holds now: its mdevs, and its vendor-VFIO VFs by GPU."""
    found = {}
    for dev in (facts.get("devices") or {}).values():
        found.setdefault(dev.get("parent"), set()).add(dev.get("type_id"))
    for address, vf in (facts.get("vendor_vfio") or {}).items():
        current = vf.get("current_type")
        if is_int(current) and current:
            found.setdefault(vf.get("physfn") or address, set()).add(str(current))
    return found


class _Vm:
    """One VM of the source host and how the plan handles it."""

    def __init__(self, name, devices):
        self.name = name
        self.devices = devices
        self.sources = []
        self.signature = None
        self.problem = None
        self.alternatives = 0


def _source_vms(args, fleet, params):
    """``(source_host, [_Vm])``: the VMs to evacuate, as named or all that hold devices."""
    host = params["source_host"]
    facts = source_facts(args, fleet, host, params.get("max_age"))
    unknown = vms_unknown_reason(facts)
    if unknown:
        args.fail("source_host %s: its VMs are not known (%s); gather the libvirt subset of mdev_facts" % (host, unknown))
    domains = facts["domains"]
    names = params.get("vms")
    if names is None:
        names = sorted(n for n, d in domains.items() if d["active"] and list(d["mdevs"]) + list(d.get("vfs") or [])
                       + list(d.get("other_hostdevs") or []))
    elif isinstance(names, str) or not isinstance(names, Sequence) or not all(isinstance(n, str) and n for n in names):
        args.fail("vms must be a list of VM names (libvirt domains), got %r" % (names,))
    vms = []
    for name in sorted(set(names)):
        domain = domains.get(name)
        if domain is None or not domain["active"]:
            args.fail("vm %s is not running on source_host %s%s" % (
                name, host, "" if domain is None else " (it is defined there but %s)" % domain.get("state")))
        vm = _Vm(name, list(domain["mdevs"]) + list(domain.get("vfs") or []))
        vm.problem = devices_problem(name, host, domain)
        if not vm.devices and not domain.get("other_hostdevs") and domain.get("vfs") is not None:
            args.fail(vm.problem)       # named by the user, and nothing to place
        if not vm.problem:
            try:
                vm.sources = [_source.from_facts(facts, d, host) for d in vm.devices]
            except PolicyInputError as exc:
                vm.problem = "a device cannot be described: %s" % exc
        vms.append(vm)
    _split_brain(fleet, host, vms)
    return host, vms


def _split_brain(fleet, source_host, vms):
    """A VM also active on another host is in no state to be moved (as ``migration_targets(vm=...)`` says)."""
    wanted = dict((vm.name, vm) for vm in vms)
    for host in fleet.names():
        facts = fleet.facts(host)[0] if host != source_host else None
        if facts is None or vms_unknown_reason(facts):
            continue
        for name, domain in facts["domains"].items():
            if name in wanted and domain.get("active"):
                wanted[name].problem = ("vm %s is also running on %s: a split-brain signal, or one machine under two "
                                        "inventory names; resolve it before evacuating" % (name, host))


class Planner:
    """The plan's state: candidates judged per kind of VM, target parents and their capacity."""

    def __init__(self, fleet, context, candidates, strategy, min_available):
        self.fleet = fleet
        self.context = context
        self.candidates = candidates
        self.strategy = strategy
        self.need = max(1, min_available)
        self.facts = dict((h, fleet.facts(h)) for h in candidates)
        self.parents = {}           # host -> {parent: ParentCapacity}
        self.options = {}           # VM signature -> {host: [[(parent, evidence)] per device]}
        self.rejected = {}          # VM signature -> {host: why}
        self.evidence = {}          # VM signature -> {host: evidence rank of its record}
        self._devices = {}          # (device signature, host) -> (record, decisions)
        self._version = dict((h, 0) for h in candidates)
        self._heaps = {}

    def _judge(self, source, host, facts, context):
        key = (signature_of(source), host)
        if key not in self._devices:
            self._devices[key] = judge_device_parents(source, host, facts, context)
        return dict(self._devices[key][0])     # judge_host may amend the record: never the cached one

    def _capacity(self, host, parent):
        parents = self.parents.setdefault(host, {})
        if parent not in parents:
            parents[parent] = ParentCapacity(existing_types(self.facts[host][0]).get(parent, ()))
        return parents[parent]

    def judge(self, vm):
        """Judge every candidate for the kind of ``vm`` (once per signature)."""
        if vm.signature in self.options:
            return
        options, rejected, evidence = {}, {}, {}
        sources = [dict(s, device=None) for s in vm.sources]
        for host in self.candidates:
            facts, reason = self.facts[host]
            record = judge_host(sources, host, facts, self.context, host, self.fleet.host_var, judge=self._judge)
            if facts is None:
                record["why"] = reason
            if record["verdict"] != COMPATIBLE:
                rejected[host] = "%s: %s" % (record["verdict"], record["why"])
                continue
            per_device = []
            for source in sources:
                decisions = self._devices[(signature_of(source), host)][1]
                fitting = [(d["parent"], d["evidence"]) for d in decisions if d["verdict"] == COMPATIBLE]
                for decision in decisions:
                    if decision["verdict"] == COMPATIBLE:
                        self._capacity(host, decision["parent"]).offer(source["type_id"], decision["capacity"])
                per_device.append(fitting)
            options[host] = per_device
            evidence[host] = EVIDENCE_RANK[record["evidence"]]
        self.options[vm.signature] = options
        self.rejected[vm.signature] = rejected
        self.evidence[vm.signature] = evidence

    def fit(self, vm, host):
        """``[(parent, evidence)]`` per device of ``vm`` on ``host`` with what is left, or None."""
        parents = self.parents.get(host, {})
        types = [s["type_id"] for s in vm.sources]
        direction = -1 if self.strategy == "spread" else 1
        ordered = [sorted(opts, key=lambda pe, t=t: (EVIDENCE_RANK[pe[1]], direction * parents[pe[0]].left(t), pe[0]))
                   for opts, t in zip(self.options[vm.signature][host], types)]
        choice = []

        def search(index):
            if index == len(types):
                return True
            # Devices with the same type and parents are interchangeable: try their parents in
            # one order only (from the previous device's pick on), which keeps the search small.
            start = 0
            if index and (types[index], ordered[index]) == (types[index - 1], ordered[index - 1]):
                start = ordered[index].index(choice[-1])
            for option in ordered[index][start:]:
                capacity = parents[option[0]]
                if capacity.left(types[index]) >= self.need:
                    capacity.take(types[index])
                    choice.append(option)
                    found = search(index + 1)
                    capacity.give_back(types[index])
                    if found:
                        return True
                    choice.pop()
            return False

        return list(choice) if search(0) else None

    def clash(self, vm, host):
        """An mdev UUID of ``vm`` that ``host`` already holds, or None."""
        held = self.facts[host][0].get("devices") or {}
        return next((s["device"] for s in vm.sources if s["kind"] == KIND_MDEV and s["device"] in held), None)

    def _key(self, signature, host):
        parents = self.parents.get(host, {})
        types = set((p, t) for opts, t in zip(self.options[signature][host], self._types[signature])
                    for p, _e in opts)
        left = sum(parents[p].left(t) for p, t in types)
        return (self.evidence[signature][host], -left if self.strategy == "spread" else left, host,
                self._version[host])

    def order(self, vms):
        """The VMs in plan order (see the module docstring); counts each VM's alternatives."""
        self._types = {}
        for vm in vms:
            self._types[vm.signature] = [s["type_id"] for s in vm.sources]
        alternatives = {}
        for vm in vms:
            if vm.signature not in alternatives:
                alternatives[vm.signature] = sum(1 for h in self.options[vm.signature] if self.fit(vm, h) is not None)
            vm.alternatives = alternatives[vm.signature]
        for signature, options in self.options.items():
            self._heaps[signature] = [self._key(signature, host) for host in options]
            heapq.heapify(self._heaps[signature])
        self._alive = dict((s, set(o)) for s, o in self.options.items())
        self._member = {}
        for signature, options in self.options.items():
            for host in options:
                self._member.setdefault(host, []).append(signature)
        return sorted(vms, key=lambda vm: (vm.alternatives, -len(vm.devices), vm.name))

    def place(self, vm):
        """``(host, choice)`` for ``vm``, its instances taken, or None."""
        heap, alive, skipped, found = self._heaps[vm.signature], self._alive[vm.signature], [], None
        while heap and found is None:
            entry = heapq.heappop(heap)
            host = entry[2]
            if entry[3] != self._version[host] or host not in alive:
                continue
            if self.clash(vm, host):
                skipped.append(entry)
                continue
            choice = self.fit(vm, host)
            if choice is None:
                alive.discard(host)     # capacity only shrinks: it will not fit this kind of VM again
                continue
            found = (host, choice)
        for entry in skipped:
            heapq.heappush(heap, entry)
        if found is None:
            return None
        host, choice = found
        for (parent, _evidence), source in zip(choice, vm.sources):
            self.parents[host][parent].take(source["type_id"])
        self._version[host] += 1
        for signature in self._member[host]:
            if host in self._alive[signature]:
                heapq.heappush(self._heaps[signature], self._key(signature, host))
        return found

    def why_not(self, vm, host):
        """Why ``host`` does not take ``vm`` now, for an unplaced VM."""
        if host in self.rejected[vm.signature]:
            return self.rejected[vm.signature][host]
        uuid = self.clash(vm, host)
        if uuid:
            return "incompatible: the host already holds an mdev with the UUID %s" % uuid
        parents = self.parents[host]
        left = []
        for options, source in zip(self.options[vm.signature][host], vm.sources):
            for parent, _evidence in options:
                capacity = parents[parent]
                n = capacity.left(source["type_id"])
                left.append("%s: %s" % (parent, "%d instance(s) of %s left" % (n, source["type_id"]) if n
                                        else capacity.why_none(source["type_id"])))
        return "compatible, but what is left does not take all %d of its device(s) (%s)" % (
            len(vm.sources), "; ".join(sorted(set(left))))

    def capacity_left(self):
        return dict((host, dict((parent, dict((t, capacity.left(t)) for t in sorted(capacity.free)))
                                for parent, capacity in sorted(parents.items())))
                    for host, parents in sorted(self.parents.items()))


def _worst(evidences):
    return max(evidences, key=lambda e: EVIDENCE_RANK[e])


def evacuation_plan(args, data, params):
    """The plan (see the module docstring and the filter's RETURN)."""
    if params["strategy"] not in STRATEGIES:
        args.fail("strategy must be one of %s" % ", ".join(STRATEGIES))
    fleet = Fleet(args, data, params.get("fresh_facts"))
    source_host, vms = _source_vms(args, fleet, params)
    context = judge_context(args, fleet, params, source_host)
    candidates = [h for h in fleet.names(params["candidates"]) if h != source_host]
    planner = Planner(fleet, context, candidates, params["strategy"], params["min_available"])
    judged = [vm for vm in vms if not vm.problem]
    for vm in judged:
        vm.signature = tuple(signature_of(dict(s, device=None)) for s in vm.sources)
        planner.judge(vm)
    placements, unplaced = [], []
    for vm in vms:
        if vm.problem:
            unplaced.append({"vm": vm.name, "devices": vm.devices, "alternatives": 0, "why": vm.problem,
                             "candidates": {}})
    ordered = planner.order(judged)
    for vm in ordered:
        found = planner.place(vm)
        if found is None:
            reasons = dict((h, planner.why_not(vm, h)) for h in candidates)
            unplaced.append({"vm": vm.name, "devices": vm.devices, "alternatives": vm.alternatives,
                             "why": "no candidate can take all of its devices with what is left" if candidates
                             else "no candidate host", "candidates": reasons})
            continue
        host, choice = found
        devices = [{"device": s["device"], "kind": s["kind"], "type_id": s["type_id"], "source_parent": s["parent"],
                    "target_parent": parent, "evidence": evidence} for s, (parent, evidence) in zip(vm.sources, choice)]
        placements.append({"vm": vm.name, "target": host, "evidence": _worst([d["evidence"] for d in devices]),
                           "alternatives": vm.alternatives, "kinds": sorted(set(d["kind"] for d in devices)),
                           "devices": devices})
    return {"source_host": source_host, "strategy": params["strategy"],
            "order": [vm.name for vm in ordered],
            "placements": placements, "unplaced": unplaced, "capacity": planner.capacity_left(),
            "summary": {"vms": len(vms), "placed": len(placements), "unplaced": len(unplaced)}}
