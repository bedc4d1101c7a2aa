# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Migration domains and stranded devices, decided by the pair rule itself (PRIVATE).

Contract: ``migration_domains(fleet, policy, probes)`` takes ``{host: facts or None}`` and an
optional probe lookup (host -> outcome) and returns ``domains`` (members, i.e. (host, parent,
type), that the pair rule judges compatible with each other in both directions), ``undecided``
(members the pair rule cannot vouch for even with themselves: unknown identity, unreadable or
one-sided versions), ``unsupported`` (types that do not support migration), ``accepted`` and
``one_way`` (probe acceptance between version groups, shown as directions, never merged), and
``stranded``: every device for which ``migration_targets`` with the same policy and probes and
``min_available=1`` selects no other host, and ``vms`` (``_vm_evacuation``): every running VM
with whether one other host takes all its devices. No second rule lives here: every relation is a
call of ``_host_verdict.judge_device``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from operator import attrgetter

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import is_int
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _facts_shape as shape
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _source
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._device_judge import DeviceJudge
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._host_verdict import JudgeContext, parent_results
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._pair_rule import free_vfs, gpu_offers
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_rows import Rows
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vm_evacuation import vm_evacuation
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import (
    COMPATIBLE,
    KIND_MDEV,
    KIND_VENDOR_VFIO,
    PolicyInputError,
)

# The order of members (a C key function: 320,000 of them at 10,000 hosts).
BY_HOST_AND_PARENT = attrgetter("host", "parent")
# What a domain's member record tells: the member, its free instances and its devices.
DOMAIN_MEMBER_KEYS = ("host", "parent", "available", "devices")
_DOMAIN_MEMBER_ROW = attrgetter(*DOMAIN_MEMBER_KEYS)


class Member:
    """One (host, parent, type) offered in the fleet. Slotted, since a fleet of 10,000 hosts has
    320,000 of them (136 bytes each; a dict of these keys would take 464). The audit report's
    placements and domain members are rows made of them when written (``_report_rows``).

    ``state`` and ``version``: ``_facts_shape.version_state`` of the type's migration record
    (``ABSENT`` and None for a vendor-VFIO GPU). Read only, but for ``source`` (None until
    ``source_of`` describes the member as a source) and ``reserved`` (None until the report counts
    the instances that mdevctl definitions hold of it)."""

    __slots__ = ("host", "parent", "type_id", "kind", "name", "devices", "available", "state", "version",
                 "driver_version", "kernel_release", "source", "reserved")

    def __init__(self, host, parent, type_id, kind, name, devices, available, state_and_version, driver_version,
                 kernel_release, source=None):
        self.host, self.parent, self.type_id, self.kind, self.name = host, parent, type_id, kind, name
        self.devices, self.available, self.driver_version, self.kernel_release = devices, available, \
            driver_version, kernel_release
        self.state, self.version = state_and_version
        self.source = source
        self.reserved = None


def fleet_members(fleet):
    """One member per (host, parent, type) offered in the fleet, host by host in sorted order (each
    host's mdev parents and types sorted, then its vendor-VFIO GPUs); ``source_of`` describes one
    as a source."""
    members = []
    # What a member needs of its type record, asked once per record object (the audit's hosts share
    # their equal records): None for a malformed record (no member), else its version state.
    state_of = shape.PerRecord(lambda mtype: None if shape.type_problem("", mtype)
                               else shape.version_state(mtype.get("migration"))[:2])
    for host in sorted(fleet):
        facts = fleet[host]
        for pname in sorted(facts.get("parents") or {}):
            types = facts["parents"][pname].get("types") or {}
            for type_id in sorted(types):
                mtype = types[type_id]
                state_and_version = state_of(mtype)
                if state_and_version is None:
                    continue
                avail, devices = mtype.get("available_instances"), mtype.get("devices")
                members.append(Member(
                    host, pname, type_id, KIND_MDEV, mtype.get("name"),
                    # The facts' own list, not a copy: members are read only, and many.
                    devices if isinstance(devices, list) else list(devices or ()),
                    avail if is_int(avail) and avail > 0 else 0, state_and_version,
                    facts["parents"][pname].get("driver_version"), facts.get("kernel_release")))
        for physfn, vfs in sorted(shape.gpus_of(facts)[0].items()):
            type_ids = set(str(t) for _a, vf in vfs for t in (vf.get("creatable_types") or {}))
            type_ids.update(str(vf["current_type"]) for _a, vf in vfs if is_int(vf.get("current_type"))
                            and vf["current_type"] > 0)
            for type_id in sorted(t for t in type_ids if gpu_offers(vfs, t)):
                members.append(Member(
                    host, physfn, type_id, KIND_VENDOR_VFIO,
                    next((vf["creatable_types"][type_id] for _a, vf in vfs
                          if type_id in (vf.get("creatable_types") or {})), None),
                    sorted(a for a, vf in vfs if str(vf.get("current_type")) == type_id),
                    len(free_vfs(vfs, type_id)), (shape.ABSENT, None), vfs[0][1].get("driver_version"),
                    facts.get("kernel_release"),
                    _source.of_gpu(facts, host, physfn, vfs[0][1], type_id)))
    return members


def source_of(member, fleet):
    """The member as a source (``_source``), built when first asked: most members never are one."""
    if member.source is None:
        member.source = _source.of_type(fleet[member.host], member.host, member.parent, member.type_id)
    return member.source


def _judge(source, member, fleet, context):
    """The pair rule's decision for ``source`` on the member's parent alone."""
    results, reason = parent_results(source, member.host, fleet[member.host], context, only=member.parent)
    for result in results or []:
        if result["parent"] == member.parent:
            return result
    return {"verdict": "not offered", "evidence": None, "reasons": [reason or "the parent does not offer the type"]}


def _mutual(a, b, fleet, context):
    one = _judge(source_of(a, fleet), b, fleet, context)
    two = _judge(source_of(b, fleet), a, fleet, context)
    return one["verdict"] == COMPATIBLE and two["verdict"] == COMPATIBLE, one


def _partition(members, fleet, context, keys):
    """Domains of one (kind, type): each grown around a representative, by the pair rule both ways.

    Members with equal keys (``_judge_kinds``) are judged alike, so the rule is asked once per
    pair of kinds, of the first member of each; only the reasons of an undecided member are its
    own (they name its free instances), so they are asked of each. Returns the domains, the
    undecided members as (member, reasons) and the members of types without migration support."""
    kinds = {}
    for member in members:
        kinds.setdefault(_kind_of(member, keys), []).append(member)
    domains, undecided, unsupported = [], [], []
    remaining = list(kinds.values())
    while remaining:
        same = remaining.pop(0)
        rep = same[0]
        alone, self_record = _mutual(rep, rep, fleet, context)
        if rep.state == shape.UNSUPPORTED:
            unsupported.extend(same)
            continue
        if not alone:
            undecided.extend(same)
            continue
        # A domain holds one version (or none): only there is the pair rule an equivalence, so a
        # member judged compatible with the representative both ways is compatible with every
        # other member. Acceptance across versions is reported as directions, never merged.
        group, rest = [same], []
        for other in remaining:
            fits = other[0].version == rep.version and _mutual(rep, other[0], fleet, context)[0]
            (group if fits else rest).append(other)
        remaining = rest
        domains.append({"members": [m for kind in group for m in kind], "evidence": self_record["evidence"],
                        "versions": sorted(set(kind[0].version for kind in group) - set([None])),
                        "version": rep.version})
    # Members come in (host, parent) order; a kind at a time they would not.
    order = dict((id(m), n) for n, m in enumerate(members))
    undecided = [(m, _mutual(m, m, fleet, context)[1]["reasons"])
                 for m in sorted(undecided, key=lambda m: order[id(m)])]
    return domains, undecided, sorted(unsupported, key=lambda m: order[id(m)])


def _kind_of(member, keys):
    """The member's key: judged alike with every member of equal key."""
    return keys.member(member.host, member.parent, member.type_id, member.kind)


def _takes(source, member, fleet, context, keys, verdicts):
    """Whether the pair rule sends ``source`` to ``member``, remembered per kind of member in ``verdicts``."""
    key = _kind_of(member, keys)
    if key not in verdicts:
        verdicts[key] = _judge(source, member, fleet, context)["verdict"] == COMPATIBLE
    return verdicts[key]


def _directions(type_domains, fleet, context, keys):
    """Probe acceptance between version groups of one type, as directions (one judgement per kind of target)."""
    accepted = []
    for a in type_domains:
        for b in type_domains:
            if a is b or a["version"] is None or b["version"] is None:
                continue
            source, verdicts = source_of(a["members"][0], fleet), {}
            hosts = sorted(set(m.host for m in b["members"] if _takes(source, m, fleet, context, keys, verdicts)))
            if hosts:
                accepted.append({"type_id": source["type_id"], "from_version": a["version"],
                                 "to_version": b["version"], "to_hosts": hosts,
                                 "all": len(hosts) == len(set(m.host for m in b["members"]))})
    both = set((d["from_version"], d["to_version"]) for d in accepted if d["all"])
    one_way = [d for d in accepted if d["all"] and (d["to_version"], d["from_version"]) not in both]
    return accepted, one_way


def _fleet_devices(facts):
    """Every device of a host that a VM may use: mdev UUIDs, and VFs not known to be idle."""
    names = sorted(facts.get("devices") or {})
    names += sorted(a for a, vf in (facts.get("vendor_vfio") or {}).items()
                    if not (isinstance(vf, dict) and is_int(vf.get("current_type")) and vf["current_type"] == 0))
    return names


def stranded_devices(fleet, context, judge=None):
    """Devices for which no other host would be selected (min_available=1), with why."""
    judge = judge or DeviceJudge(fleet, context)
    stranded = []
    for host in sorted(fleet):
        facts = fleet[host]
        for device in _fleet_devices(facts):
            entry = {"host": host, "device": device, "parent": None, "type_id": None}
            try:
                source = _source.from_facts(facts, device, host, checked=context.host_problem(facts) is None)
            except PolicyInputError as exc:
                stranded.append(dict(entry, reasons=["the device cannot be described: %s" % exc]))
                continue
            entry.update(parent=source["parent"], type_id=source["type_id"], kind=source["kind"])
            if any(h != host and judge.takes(source, h) for h in judge.fitting(source)):
                continue
            stranded.append(dict(entry, reasons=judge.stranded_reasons(source, host)))
    return stranded


def migration_domains(fleet, policy="auto", probes=None, members=None, compact=False):
    """Domains, undecided and unsupported members, probe directions and stranded devices of a fleet
    (``members``: ``fleet_members(fleet)``, when the caller has them already). With ``compact``,
    each domain's ``members`` is a ``_report_rows.Rows`` of its ``Member`` records, else a list of dicts."""
    # Each host's shape is checked once for the whole call, not again for each device and each pass.
    context = JudgeContext(policy=policy, probes=probes, host_problem=shape.HostProblems())
    judge = DeviceJudge(fleet, context)
    by_type = {}
    for member in fleet_members(fleet) if members is None else members:
        by_type.setdefault((member.kind, member.type_id), []).append(member)
    domains, undecided, unsupported, accepted, one_way = [], [], [], [], []
    for key in sorted(by_type):
        type_domains, type_undecided, type_unsupported = _partition(by_type[key], fleet, context, judge.keys)
        domains.extend(type_domains)
        undecided.extend(type_undecided)
        unsupported.extend(type_unsupported)
        if probes is not None:
            directions, oneway = _directions(type_domains, fleet, context, judge.keys)
            accepted.extend(directions)
            one_way.extend(oneway)
    stranded = stranded_devices(fleet, context, judge)
    stranded_at = {}
    for item in stranded:
        stranded_at.setdefault((item["host"], item["parent"], item["type_id"]), []).append(item)
    result = []
    for domain in domains:
        members = sorted(domain["members"], key=BY_HOST_AND_PARENT)
        first = members[0]
        result.append({
            "kind": first.kind,
            "type_id": first.type_id,
            "type_name": first.name,
            "evidence": domain["evidence"],
            "versions": domain["versions"],
            "hosts": sorted(set(m.host for m in members)),
            "members": Rows(DOMAIN_MEMBER_KEYS, members, _DOMAIN_MEMBER_ROW),
            "capacity": sum(m.available for m in members),
            "devices": sum(len(m.devices) for m in members),
            "stranded": [{"host": s["host"], "parent": s["parent"], "device": s["device"], "reasons": s["reasons"]}
                         for m in members for s in stranded_at.get((m.host, m.parent, m.type_id), [])],
        })
    result.sort(key=lambda d: (d["type_id"], d["kind"], d["versions"], d["hosts"]))
    counters = {}
    for domain in result:
        counters[domain["type_id"]] = counters.get(domain["type_id"], 0) + 1
        domain["id"] = "%s#%d" % (domain["type_id"], counters[domain["type_id"]])
        if not compact:
            domain["members"] = domain["members"].as_list()

    def brief(member, **extra):
        return dict({"host": member.host, "parent": member.parent, "type_id": member.type_id,
                     "kind": member.kind, "available": member.available, "devices": member.devices}, **extra)
    return {
        "domains": result,
        "undecided": [brief(m, reasons=reasons) for m, reasons in undecided],
        "unsupported": [brief(m, version=None) for m in unsupported],
        "accepted": accepted,
        "one_way": one_way,
        "stranded": stranded,
        "vms": vm_evacuation(fleet, context, judge),
    }
