# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fleet audit report: the report's data, built from the facts of a fleet (PRIVATE to the collection).

Pure functions without I/O; rendering is in ``_report_render``. The report's JSON layout is
documented in docs/report-schema.json and versioned by ``report_version``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _facts_shape as shape
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._domains import (
    BY_HOST_AND_PARENT,
    fleet_members,
    migration_domains,
)
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_rows import Rows
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._reservations import Reservations
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import KIND_MDEV

# Changes only when a key changes meaning or goes away (docs/report-schema.json); new keys keep it.
REPORT_VERSION = 2

HOST_STATUSES = ("ok", "errors", "no facts")

_DOMAIN_KEYS = ("id", "kind", "type_id", "type_name", "evidence", "versions", "hosts", "capacity", "devices")
# What a placement of a type tells: one per host and parent offering it.
PLACEMENT_KEYS = ("host", "parent", "available", "reserved", "devices", "version", "migration_supported",
                  "driver_version", "kernel_release")
_SUPPORTED = {shape.PUBLISHED: True, shape.UNSUPPORTED: False}


def _placement_row(member):
    return (member.host, member.parent, member.available, member.reserved, len(member.devices), member.version,
            _SUPPORTED.get(member.state), member.driver_version, member.kernel_release)


def _common_version(hosts_by_version):
    """The version most hosts of a type publish; None when two versions tie (no majority)."""
    ranked = sorted(((len(hosts), version) for version, hosts in hosts_by_version.items()), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]


def build_report(fleet, policy="auto", probes=None, generated_at=None, compact=False):
    """The audit report of ``fleet`` (host -> mdev facts, None when a host has no usable facts).

    ``probes`` is a lookup host -> probe outcome (``_fleet_input.Fleet.probe_lookup``) or None.
    Domains and stranded devices come from ``_domains``, that is from the pair rule. With
    ``compact``, each type's ``placements`` and each domain's ``members`` are ``_report_rows.Rows``
    of the fleet's members (``_domains.Member``), which ``_report_render`` writes as dicts one list
    at a time, else lists of dicts.
    """
    usable = dict((h, f) for h, f in fleet.items() if f is not None)
    reservations = dict((h, Reservations(f)) for h, f in usable.items())
    types = {}
    members = fleet_members(usable)
    # Members come host by host (fleet_members), so a type's hosts, and those of each version, are
    # listed once each by comparing with the last one listed: a list costs 8 bytes a host, a set
    # several times that.
    for member in members:
        version = member.version
        entry = types.setdefault((member.kind, member.type_id), {
            "kind": member.kind, "type_id": member.type_id, "name": member.name, "hosts": [],
            "versions": {}, "capacity": 0, "devices": 0, "reserved": 0, "placements": []})
        if entry["name"] is None:
            entry["name"] = member.name
        _add_host(entry["hosts"], member.host)
        if version is not None:
            _add_host(entry["versions"].setdefault(version, []), member.host)
        entry["capacity"] += member.available
        entry["devices"] += len(member.devices)
        member.reserved = reservations[member.host].total(member.parent, member.type_id) \
            if member.kind == KIND_MDEV else 0
        entry["reserved"] += member.reserved or 0
        entry["placements"].append(member)
    type_list, drift = [], []
    for (kind, type_id) in sorted(types, key=lambda k: (k[1], k[0])):
        entry = types[(kind, type_id)]
        placements = Rows(PLACEMENT_KEYS, sorted(entry["placements"], key=BY_HOST_AND_PARENT), _placement_row)
        common = _common_version(entry["versions"])
        parents_at = _parents_off(placements, common) if set(entry["versions"]) - {common} else {}
        # Drift is counted per host: a host with two parents of one version is one host off.
        for version in sorted(entry["versions"]):
            if version != common:
                for host in sorted(entry["versions"][version]):
                    drift.append({"type_id": type_id, "host": host, "version": version, "common_version": common,
                                  "parents": sorted(parents_at[(host, version)])})
        type_list.append({
            "kind": kind, "type_id": type_id, "name": entry["name"], "hosts": sorted(entry["hosts"]),
            "versions": dict((v, sorted(h)) for v, h in sorted(entry["versions"].items())),
            "capacity": entry["capacity"], "devices": entry["devices"], "reserved": entry["reserved"],
            "placements": placements,
        })
    domains = migration_domains(usable, policy, probes, members=members, compact=True)
    domain_list = [_domain_record(d) for d in domains["domains"]]
    stranded = _stranded(domains, domain_list)
    vms = domains["vms"]["vms"]
    _domain_vms(domain_list, vms)
    vms_by_host = {}
    for vm in vms:
        vms_by_host[vm["host"]] = vms_by_host.get(vm["host"], 0) + 1
    vms_unknown = dict((u["host"], u["reason"]) for u in domains["vms"]["hosts_unknown"])
    hosts = []
    for host in sorted(fleet):
        facts = fleet[host]
        if facts is None:
            hosts.append({"host": host, "status": HOST_STATUSES[2], "kernel_release": None, "parents": 0, "devices": 0,
                          "vendor_vfio": 0, "errors": 0, "vms": None, "vms_unknown": "no facts",
                          "persistent_devices": None, "transient_devices": None, "reserved": None})
            continue
        record = {"host": host, "status": HOST_STATUSES[0] if not facts.get("errors") else HOST_STATUSES[1],
                  "kernel_release": facts.get("kernel_release"), "parents": len(facts.get("parents") or {}),
                  "devices": len(facts.get("devices") or {}) + sum(
                      1 for vf in (facts.get("vendor_vfio") or {}).values() if vf.get("current_type")),
                  "vendor_vfio": len(facts.get("vendor_vfio") or {}), "errors": len(facts.get("errors") or []),
                  "vms": None if host in vms_unknown else vms_by_host.get(host, 0), "vms_unknown": vms_unknown.get(host)}
        record.update(_persistence(facts, reservations[host]))
        hosts.append(record)
    # The documented keys only (docs/report-schema.json): an error with more keys is written without them.
    errors = [dict([("host", h)] + [(key, e.get(key)) for key in shape.ERROR_KEYS])
              for h in sorted(fleet) if fleet[h] for e in (fleet[h].get("errors") or [])]
    if not compact:
        for record in type_list:
            record["placements"] = record["placements"].as_list()
        for record in domain_list:
            record["members"] = record["members"].as_list()
    return {
        "report_version": REPORT_VERSION,
        "generated_at": generated_at,
        "probed": probes is not None,
        "policy": policy,
        "summary": {
            "hosts": len(fleet),
            "hosts_with_facts": sum(1 for f in fleet.values() if f is not None),
            "hosts_without_facts": sorted(h for h, f in fleet.items() if f is None),
            "types": len(type_list),
            "devices": sum(t["devices"] for t in type_list),
            "capacity": sum(t["capacity"] for t in type_list),
            "domains": len(domain_list),
            "stranded_devices": len(stranded),
            "vms": len(vms),
            "stranded_vms": sum(1 for vm in vms if vm["evacuable"] is False),
            "vms_undecided": sum(1 for vm in vms if vm["evacuable"] is None),
            "hosts_vms_unknown": sorted(vms_unknown),
            "version_drift": len(drift),
            "errors": len(errors),
        },
        "hosts": hosts,
        "types": type_list,
        "version_drift": drift,
        "domains": domain_list,
        "unsupported": domains["unsupported"],
        "undecided": domains["undecided"],
        "one_way": domains["one_way"],
        "accepted": [dict(a) for a in domains.get("accepted") or []],
        "stranded": stranded,
        "vms": vms,
        "stranded_vms": [vm for vm in vms if vm["evacuable"] is not True],
        "errors": errors,
    }


def _add_host(hosts, host):
    if not hosts or hosts[-1] != host:
        hosts.append(host)


def _parents_off(placements, common):
    """``{(host, version): [parent]}`` of the placements whose version is not ``common``: looked
    up after the fact for the few hosts that drift, not kept for every placement."""
    parents_at = {}
    for host, parent, version in placements.columns("host", "parent", "version"):
        if version is not None and version != common:
            parents_at.setdefault((host, version), []).append(parent)
    return parents_at


def _persistence(facts, reservations):
    """Devices with an mdevctl definition (persistent) or without (transient, gone at reboot), and
    the instances reserved on the host; null when mdevctl's definitions are not known."""
    if not reservations.gathered or reservations.all_unknown:
        return {"persistent_devices": None, "transient_devices": None, "reserved": None}
    defined = facts.get("defined") or {}
    devices = facts.get("devices") or {}
    persistent = sum(1 for uuid in devices if uuid in defined)
    return {"persistent_devices": persistent, "transient_devices": len(devices) - persistent,
            "reserved": None if reservations.unknown_parents else sum(reservations.counts.values())}


def _domain_vms(domain_list, vms):
    """Each domain's ``vms``: the running VMs with a device on one of its members."""
    at = {}     # type_id -> {(host, parent): [VM]}
    for vm in vms:
        for member in vm["members"]:
            at.setdefault(member["type_id"], {}).setdefault((vm["host"], member["parent"]), []).append(vm["vm"])
    for domain in domain_list:
        names = set()
        held = at.get(domain["type_id"]) or {}
        for host, parent in _among_members(domain, held):
            names.update("%s@%s" % (name, host) for name in held[(host, parent)])
        domain["vms"] = sorted(names)


def _among_members(domain, pairs):
    """Those of ``pairs`` ((host, parent), of the domain's type) that are members of ``domain``:
    the few members that hold a VM or a stranded device are looked up, no table of all is made."""
    if not pairs:
        return set()
    return set(pairs).intersection(domain["members"].columns("host", "parent"))


def _domain_record(domain):
    """The report's record of a domain: the documented keys only; ``reserved`` what mdevctl
    auto-start definitions hold of its members' free instances (unknown ones not counted)."""
    record = dict((k, domain.get(k)) for k in _DOMAIN_KEYS)
    # migration_domains' own member rows (host, parent, available, devices), not copies: 10,000
    # hosts make 320,000 of them.
    record["members"] = domain["members"]
    record["stranded"] = [dict(s) for s in domain.get("stranded") or []]
    # Each member's own count (``Member.reserved``, set by build_report), 0 where unknown.
    record["reserved"] = sum(member.reserved or 0 for member in record["members"].records) \
        if record["kind"] == KIND_MDEV else 0
    return record


def _stranded(domains, domain_list):
    """Devices that cannot be evacuated, each with its type and domain.

    Taken from the domains' top-level ``stranded`` list when the policy provides one (with the
    reasons), else from each domain's own list. With the top-level list, each domain's own list is
    made to agree with it.
    """
    if domains.get("stranded") is None:
        return [dict(s, type_id=d["type_id"], domain=d["id"]) for d in domain_list for s in d["stranded"]]
    wanted = {}     # type_id -> {(host, parent)} of the stranded devices
    for item in domains["stranded"]:
        wanted.setdefault(item.get("type_id"), set()).add((item.get("host"), item.get("parent")))
    domain_of = {}
    for d in domain_list:
        for host, parent in _among_members(d, wanted.get(d["type_id"])):
            domain_of[(host, parent, d["type_id"])] = d["id"]
    result = []
    for item in domains["stranded"]:
        entry = dict(item)
        entry.setdefault("domain", domain_of.get((item.get("host"), item.get("parent"), item.get("type_id"))))
        result.append(entry)
    per_domain = {}
    for entry in result:
        per_domain.setdefault(entry["domain"], []).append(
            {"host": entry.get("host"), "parent": entry.get("parent"), "device": entry.get("device")})
    for d in domain_list:
        d["stranded"] = per_domain.get(d["id"], [])
    return sorted(result, key=lambda x: (str(x.get("host")), str(x.get("parent")), str(x.get("device"))))
