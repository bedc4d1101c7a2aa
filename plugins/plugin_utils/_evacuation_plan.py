# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An evacuation plan: every VM of a source host onto one target, capacity consumed as VMs are
placed (PRIVATE to the collection).

Contract: ``evacuation_plan(args, data, params)`` is the whole work of the filter
``evacuation_plan``. Every relation between a VM and a candidate is judged as
``_host_verdict.judge_host`` judges it (host-level checks, the pair rule per device with its
device-level record, probes, ``where``, ``match_vars``, mdevctl reservations), only cached: the
facts of a host are checked once per plan, a device once per kind of device and host. Only a
``compatible`` host is ever used. Capacity is ``_capacity_model.ParentCapacity`` per target
parent; a GPU of vendor-VFIO VFs counts one instance per plan (its facts say a VF can take the
type, not how many can).

Order (deterministic): most constrained first - the VMs with the fewest candidates able to take
them alone at the start, then the VMs with more devices, then by name. Each VM goes to the best
candidate on which every one of its devices finds a parent with an instance left (an exhaustive
search over the parents that are compatible for each device): best evidence first, then by
``strategy`` (``spread``: most instances left for the VM's types; ``pack``: fewest), then host
name. A VM that no candidate can take whole, given what is left when its turn comes, is
``unplaced`` with the candidates' reasons. Since capacity only shrinks as the plan goes, no
unplaced VM fits any single candidate in the capacity left at the end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import heapq

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import is_int
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _facts_shape as shape
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._capacity_model import ParentCapacity
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._device_judge import signature_of
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._evacuation_vms import source_vms
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._fleet_input import Fleet
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._host_verdict import (
    apply_match_vars,
    combine_devices,
    combined_verdict,
    host_facts_problem,
    judge_device_parents,
    sources_problem,
)
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._targets import judge_context
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import (
    COMPATIBLE,
    EVIDENCE_RANK,
    KIND_MDEV,
    KIND_VENDOR_VFIO,
    UNKNOWN,
    decision,
)

STRATEGIES = ("spread", "pack")
# Candidates named in the record of an unplaced VM; the others are counted by verdict.
LISTED_CANDIDATES = 50
FULL = "compatible but full"


def existing_types(facts):
    """``({parent: {type_id}}, problem)``: the types of the devices a host holds now - its mdevs,
    and its vendor-VFIO VFs by GPU - or None and why they cannot be known."""
    found = {}
    for uuid, dev in sorted((facts.get("devices") or {}).items()):
        problem = shape.device_problem("devices.%s" % uuid, dev)
        if problem:
            return None, problem
        found.setdefault(dev["parent"], set()).add(dev["type_id"])
    for address, vf in sorted((facts.get("vendor_vfio") or {}).items()):
        problem = shape.vf_problem("vendor_vfio.%s" % address, vf)
        if problem:
            return None, problem
        current = vf.get("current_type")
        if is_int(current) and current:
            found.setdefault(vf.get("physfn") or address, set()).add(str(current))
    return found, None


def _aliases(fleet, hosts):
    """``{host: [other names of the same machine]}`` among ``hosts`` (same machine_id or boot_id)."""
    seen, aliases = {}, {}
    for host in hosts:
        facts = fleet.facts(host)[0]
        if not hasattr(facts, "get"):
            continue
        for key in ("machine_id", "boot_id"):
            value = facts.get(key)
            if isinstance(value, str) and value:
                seen.setdefault((key, value), []).append(host)
    for names in seen.values():
        for host in names if len(names) > 1 else ():
            aliases.setdefault(host, set()).update(n for n in names if n != host)
    return dict((h, sorted(n)) for h, n in aliases.items())


class Planner:
    """The plan's state: candidates judged per kind of VM, target parents and their capacity."""

    def __init__(self, fleet, context, candidates, strategy, min_available):
        self.fleet = fleet
        self.context = context
        self.candidates = candidates
        self.direction = -1 if strategy == "spread" else 1
        self.need = max(1, min_available)
        self.facts = dict((h, fleet.facts(h)) for h in candidates)
        self.parents = {}           # host -> {parent: ParentCapacity}
        self.options = {}           # VM signature -> {host: [[(parent, evidence)] per device]}
        self.rejected = {}          # VM signature -> {host: (verdict, why)}
        self.evidence = {}          # VM signature -> {host: evidence rank of its record}
        self._types = {}            # VM signature -> [type_id per device]
        self._pairs = {}            # VM signature -> {host: [(parent, type_id)] its devices may use}
        self._devices = {}          # (device signature, host) -> (record, decisions)
        self._hosts = {}            # host -> (record or None, existing types)
        self._aliases = _aliases(fleet, candidates)
        self._version = dict((h, 0) for h in candidates)
        self._heaps, self._alive, self._member = {}, {}, {}

    def host_state(self, host):
        """``(record, existing)``: a record when the host's facts cannot be used at all, else None
        and the types of the devices it holds by parent. Checked once per plan."""
        if host not in self._hosts:
            facts, reason = self.facts[host]
            record = host_facts_problem(host, facts, self.context)
            existing = None
            if record is None and host in self._aliases:
                # Capacity counted under two names would be counted twice.
                record = self._unknown(host, "one machine under several inventory names (%s, same machine_id or "
                                             "boot_id): name it once" % ", ".join([host] + self._aliases[host]))
            if record is None:
                existing, problem = existing_types(facts)
                if problem:
                    record = self._unknown(host, "malformed mdev facts: %s" % problem)
            if record is not None and facts is None:
                record["why"] = reason
            self._hosts[host] = (record, existing)
        return self._hosts[host]

    @staticmethod
    def _unknown(host, why):
        return dict(decision(UNKNOWN, None, [why]), host=host, why=why, parents=[], capacity=0, reserved={})

    def _device(self, signature, source, host, facts):
        key = (signature, host)
        if key not in self._devices:
            self._devices[key] = judge_device_parents(source, host, facts, self.context)
        return self._devices[key]

    def _capacity(self, host, parent):
        parents = self.parents.setdefault(host, {})
        if parent not in parents:
            parents[parent] = ParentCapacity(self.host_state(host)[1].get(parent, ()))
        return parents[parent]

    def _verdict(self, vm, signatures, host):
        """``(verdict, evidence, why)`` of the host's record for the kind of ``vm`` (the UUID clash
        aside: checked per VM). The plan reads nothing else of the record, so the reasons of every
        device are not joined into one unless ``match_vars`` needs them."""
        facts = self.facts[host][0]
        record = self.host_state(host)[0] or sources_problem(vm.sources, host, facts, clash=False)
        if record is None:
            judged = [self._device(sig, source, host, facts)[0] for sig, source in zip(signatures, vm.sources)]
            if self.context.match_vars:
                # combine_devices returns the only record as it is: never amend the cached one
                record = dict(combine_devices(host, judged, vm.sources)) if len(judged) > 1 else dict(judged[0])
                record = apply_match_vars(record, facts, self.context, host, self.fleet.host_var)
            elif len(judged) > 1:
                return combined_verdict(judged, vm.sources)
            else:
                record = judged[0]
        return record["verdict"], record["evidence"], record["why"]

    def judge(self, vm):
        """Judge every candidate for the kind of ``vm`` (once per signature)."""
        if vm.signature in self.options:
            return
        signatures = vm.signature
        options, rejected, evidence, pairs = {}, {}, {}, {}
        for host in self.candidates:
            verdict, host_evidence, why = self._verdict(vm, signatures, host)
            if verdict != COMPATIBLE:
                rejected[host] = (verdict, why)
                continue
            per_device = []
            for sig, source in zip(signatures, vm.sources):
                fitting = []
                for result in self._devices[(sig, host)][1]:
                    if result["verdict"] == COMPATIBLE:
                        fitting.append((result["parent"], result["evidence"]))
                        # A VF's creatable type says one more fits, not how many.
                        free = min(1, result["capacity"]) if source["kind"] == KIND_VENDOR_VFIO else result["capacity"]
                        self._capacity(host, result["parent"]).offer(source["type_id"], free)
                per_device.append(fitting)
            options[host] = per_device
            evidence[host] = EVIDENCE_RANK[host_evidence]
            pairs[host] = sorted(set((p, s["type_id"]) for opts, s in zip(per_device, vm.sources) for p, _e in opts))
        self.options[vm.signature] = options
        self.rejected[vm.signature] = rejected
        self.evidence[vm.signature] = evidence
        self._pairs[vm.signature] = pairs
        self._types[vm.signature] = [s["type_id"] for s in vm.sources]

    def fit(self, signature, host):
        """``[(parent, evidence)]`` per device of a VM of this kind on ``host`` with what is left, or None."""
        parents = self.parents.get(host, {})
        types = self._types[signature]
        options = self.options[signature][host]
        if len(types) == 1:
            # Most VMs hold one device: the best parent with an instance left, without a search.
            best = None
            for parent, evidence in options[0]:
                n = parents[parent].left(types[0])
                if n >= self.need:
                    key = (EVIDENCE_RANK[evidence], self.direction * n, parent, evidence)
                    best = key if best is None or key < best else best
            return [best[2:]] if best else None
        needed = {}
        for type_id in types:
            needed[type_id] = needed.get(type_id, 0) + 1
        for type_id, count in needed.items():
            # A quick refusal before any search: all the type's parents together are short.
            offered = set(p for opts, t in zip(options, types) if t == type_id for p, _e in opts)
            if sum(parents[p].left(type_id) for p in offered) < count:
                return None
        # Devices of one type with the same parents are interchangeable: searched side by side,
        # each tries parents from the previous one's pick on, so the search never repeats itself.
        order = sorted(range(len(types)), key=lambda i: (types[i], sorted(options[i])))
        ordered = dict((i, sorted(options[i], key=lambda pe, t=types[i]: (
            EVIDENCE_RANK[pe[1]], self.direction * parents[pe[0]].left(t), pe[0]))) for i in order)
        choice = {}
        if not self._search(parents, types, order, ordered, 0, choice):
            return None
        return [choice[i] for i in range(len(types))]

    def _search(self, parents, types, order, ordered, step, choice):
        if step == len(order):
            return True
        index = order[step]
        start = 0
        if step and (types[index], ordered[index]) == (types[order[step - 1]], ordered[order[step - 1]]):
            start = ordered[index].index(choice[order[step - 1]])
        for option in ordered[index][start:]:
            capacity = parents[option[0]]
            if capacity.left(types[index]) >= self.need:
                capacity.take(types[index])
                choice[index] = option
                found = self._search(parents, types, order, ordered, step + 1, choice)
                capacity.give_back(types[index])
                if found:
                    return True
                del choice[index]
        return False

    def clash(self, vm, host):
        """An mdev UUID of ``vm`` that ``host`` already holds or defines (mdevctl), or None."""
        facts = self.facts[host][0]
        return next((s["device"] for s in vm.sources if s["kind"] == KIND_MDEV
                     and shape.uuid_in_use(facts, s["device"])), None)

    def _key(self, signature, host):
        parents = self.parents.get(host, {})
        left = sum(parents[p].left(t) for p, t in self._pairs[signature][host])
        return (self.evidence[signature][host], self.direction * left, host, self._version[host])

    def order(self, vms):
        """The VMs in plan order (see the module docstring); counts each VM's alternatives."""
        alternatives = {}
        for vm in vms:
            if vm.signature not in alternatives:
                alternatives[vm.signature] = sum(1 for h in self.options[vm.signature]
                                                 if self.fit(vm.signature, h) is not None)
            vm.alternatives = alternatives[vm.signature]
        for signature, options in self.options.items():
            self._heaps[signature] = [self._key(signature, host) for host in options]
            heapq.heapify(self._heaps[signature])
            self._alive[signature] = set(options)
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
            choice = self.fit(vm.signature, host)
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
        """``(verdict, why)`` of ``host`` for an unplaced ``vm``."""
        if host in self.rejected[vm.signature]:
            return self.rejected[vm.signature][host]
        uuid = self.clash(vm, host)
        if uuid:
            return "incompatible", "the host already holds or defines an mdev with the UUID %s" % uuid
        parents = self.parents[host]
        left = set()
        for options, source in zip(self.options[vm.signature][host], vm.sources):
            for parent, _evidence in options:
                capacity = parents[parent]
                n = capacity.left(source["type_id"])
                left.add("%s: %s" % (parent, "%d instance(s) of %s left" % (n, source["type_id"]) if n
                                     else capacity.why_none(source["type_id"])))
        need = " (%d needed on a parent)" % self.need if self.need > 1 else ""
        return FULL, "what is left does not take all %d of its device(s)%s: %s" % (
            len(vm.sources), need, "; ".join(sorted(left)))

    def capacity_left(self):
        return dict((host, dict((parent, dict((t, capacity.left(t)) for t in sorted(capacity.free)))
                                for parent, capacity in sorted(parents.items())))
                    for host, parents in sorted(self.parents.items()))


def _unplaced(planner, vm, candidates):
    """The record of a VM that goes nowhere: the candidates nearest to taking it named first."""
    rank = {FULL: 0, UNKNOWN: 1}
    reasons = sorted(((planner.why_not(vm, h), h) for h in candidates), key=lambda r: (rank.get(r[0][0], 2), r[1]))
    counts = {}
    for (verdict, _why), _host in reasons:
        counts[verdict] = counts.get(verdict, 0) + 1
    listed = reasons[:LISTED_CANDIDATES]
    return {"vm": vm.name, "devices": vm.devices, "alternatives": vm.alternatives,
            "why": "no candidate can take all of its devices with what is left" if candidates else "no candidate host",
            "candidates": dict((h, "%s: %s" % (verdict, why)) for (verdict, why), h in listed),
            "candidates_not_listed": len(reasons) - len(listed), "verdicts": counts}


def _worst(evidences):
    return max(evidences, key=lambda e: EVIDENCE_RANK[e])


def evacuation_plan(args, data, params):
    """The plan (see the module docstring and the filter's RETURN)."""
    if params["strategy"] not in STRATEGIES:
        args.fail("strategy must be one of %s" % ", ".join(STRATEGIES))
    fleet = Fleet(args, data, params.get("fresh_facts"))
    source_host, vms = source_vms(args, fleet, params)
    context = judge_context(args, fleet, params, source_host)
    candidates = [h for h in fleet.names(params["candidates"]) if h != source_host]
    candidates = list(dict.fromkeys(candidates))      # each once, in the order given
    planner = Planner(fleet, context, candidates, params["strategy"], params["min_available"])
    judged = [vm for vm in vms if not vm.problem]
    for vm in judged:
        # Devices are judged with their own records; only the UUID is left out of the kind.
        vm.signature = tuple(signature_of(s) for s in vm.sources)
        planner.judge(vm)
    unplaced = [{"vm": vm.name, "devices": vm.devices, "alternatives": 0, "why": vm.problem, "candidates": {},
                 "candidates_not_listed": 0, "verdicts": {}} for vm in vms if vm.problem]
    placements = []
    ordered = planner.order(judged)
    for vm in ordered:
        found = planner.place(vm)
        if found is None:
            unplaced.append(_unplaced(planner, vm, candidates))
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
