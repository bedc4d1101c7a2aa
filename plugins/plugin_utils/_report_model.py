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
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._domains import fleet_members, migration_domains
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import KIND_MDEV

# Changes only when a key changes meaning or goes away (docs/report-schema.json); new keys keep it.
REPORT_VERSION = 2

HOST_STATUSES = ("ok", "errors", "no facts")

_DOMAIN_KEYS = ("id", "kind", "type_id", "type_name", "evidence", "versions", "hosts", "capacity", "devices")


def _common_version(hosts_by_version):
    """The version most hosts of a type publish; None when two versions tie (no majority)."""
    ranked = sorted(((len(hosts), version) for version, hosts in hosts_by_version.items()), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]


def build_report(fleet, policy="auto", probes=None, generated_at=None):
    """The audit report of ``fleet`` (host -> mdev facts, None when a host has no usable facts).

    ``probes`` is a lookup host -> probe outcome (``_fleet_input.Fleet.probe_lookup``) or None.
    Domains and stranded devices come from ``_domains``, that is from the pair rule.
    """
    usable = dict((h, f) for h, f in fleet.items() if f is not None)
    types = {}
    for member in fleet_members(usable):
        source = member["source"]
        state, version, _detail = shape.version_state(source["migration"]) if member["kind"] == KIND_MDEV \
            else (shape.ABSENT, None, None)
        entry = types.setdefault((member["kind"], member["type_id"]), {
            "kind": member["kind"], "type_id": member["type_id"], "name": member["name"], "hosts": set(),
            "versions": {}, "capacity": 0, "devices": 0, "placements": []})
        if entry["name"] is None:
            entry["name"] = member["name"]
        entry["hosts"].add(member["host"])
        if version is not None:
            entry["versions"].setdefault(version, set()).add(member["host"])
        entry["capacity"] += member["available"]
        entry["devices"] += len(member["devices"])
        entry["placements"].append({
            "host": member["host"], "parent": member["parent"], "available": member["available"],
            "devices": len(member["devices"]), "version": version,
            "migration_supported": {shape.PUBLISHED: True, shape.UNSUPPORTED: False}.get(state),
            "driver_version": source.get("driver_version"), "kernel_release": source.get("kernel_release")})
    type_list, drift = [], []
    for (kind, type_id) in sorted(types, key=lambda k: (k[1], k[0])):
        entry = types[(kind, type_id)]
        common = _common_version(entry["versions"])
        # Drift is counted per host: a host with two parents of one version is one host off.
        for version in sorted(entry["versions"]):
            if version != common:
                for host in sorted(entry["versions"][version]):
                    drift.append({"type_id": type_id, "host": host, "version": version, "common_version": common,
                                  "parents": sorted(p["parent"] for p in entry["placements"]
                                                    if p["host"] == host and p["version"] == version)})
        type_list.append({
            "kind": kind, "type_id": type_id, "name": entry["name"], "hosts": sorted(entry["hosts"]),
            "versions": dict((v, sorted(h)) for v, h in sorted(entry["versions"].items())),
            "capacity": entry["capacity"], "devices": entry["devices"],
            "placements": sorted(entry["placements"], key=lambda p: (p["host"], p["parent"])),
        })
    domains = migration_domains(usable, policy, probes)
    domain_list = [_domain_record(d) for d in domains["domains"]]
    stranded = _stranded(domains, domain_list)
    hosts = []
    for host in sorted(fleet):
        facts = fleet[host]
        if facts is None:
            hosts.append({"host": host, "status": HOST_STATUSES[2], "kernel_release": None, "parents": 0, "devices": 0,
                          "vendor_vfio": 0, "errors": 0})
            continue
        hosts.append({"host": host, "status": HOST_STATUSES[0] if not facts.get("errors") else HOST_STATUSES[1],
                      "kernel_release": facts.get("kernel_release"), "parents": len(facts.get("parents") or {}),
                      "devices": len(facts.get("devices") or {}) + sum(
                          1 for vf in (facts.get("vendor_vfio") or {}).values() if vf.get("current_type")),
                      "vendor_vfio": len(facts.get("vendor_vfio") or {}), "errors": len(facts.get("errors") or [])})
    errors = [dict(e, host=h) for h in sorted(fleet) if fleet[h] for e in (fleet[h].get("errors") or [])]
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
        "errors": errors,
    }


def _domain_record(domain):
    """The report's record of a domain: the documented keys only, ``reserved`` 0 until reservations exist."""
    record = dict((k, domain.get(k)) for k in _DOMAIN_KEYS)
    record["members"] = [{"host": m.get("host"), "parent": m.get("parent"), "available": m.get("available"),
                          "devices": m.get("devices")} for m in domain.get("members") or []]
    record["stranded"] = [dict(s) for s in domain.get("stranded") or []]
    record["reserved"] = domain.get("reserved") or 0
    return record


def _stranded(domains, domain_list):
    """Devices that cannot be evacuated, each with its type and domain.

    Taken from the domains' top-level ``stranded`` list when the policy provides one (with the
    reasons), else from each domain's own list. With the top-level list, each domain's own list is
    made to agree with it.
    """
    if domains.get("stranded") is None:
        return [dict(s, type_id=d["type_id"], domain=d["id"]) for d in domain_list for s in d["stranded"]]
    domain_of = {}
    for d in domain_list:
        for m in d["members"]:
            domain_of[(m["host"], m["parent"], d["type_id"])] = d["id"]
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
