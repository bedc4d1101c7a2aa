# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Migration-compatibility policy: pure functions, no I/O (PRIVATE to the collection).

Decides one (source device, target host) pair from gathered facts, returning a verdict, the
evidence it rests on, the target parents that fit, capacity (kept apart from compatibility)
and reasons in words. Shared by the filter and test plugins and the roles.

A false "compatible" is the worst answer this code can give: whenever evidence is missing the
verdict is ``unknown``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    from collections.abc import Mapping
except ImportError:  # pragma: no cover - Python 2 is not supported, this keeps pylint quiet
    Mapping = dict

COMPATIBLE = "compatible"
INCOMPATIBLE = "incompatible"
UNKNOWN = "unknown"

EVIDENCE_PROBE = "probe"
EVIDENCE_VERSION = "version"
EVIDENCE_POLICY = "policy"
EVIDENCE_UNKNOWN = "unknown"

POLICIES = ("auto", "version", "identity")

# Strongest evidence first: ranking and "best of several parents" use this order.
EVIDENCE_RANK = {EVIDENCE_PROBE: 0, EVIDENCE_VERSION: 1, EVIDENCE_POLICY: 2, EVIDENCE_UNKNOWN: 3}
VERDICT_RANK = {COMPATIBLE: 0, UNKNOWN: 1, INCOMPATIBLE: 2}

PCI_BOARD_KEYS = ("vendor_id", "device_id", "subsystem_vendor_id", "subsystem_device_id")

NO_FACTS = "no mdev facts for this host (unreachable, or mdev_facts did not run)"


class PolicyInputError(ValueError):
    """A malformed argument or source; the message names it."""


# -- facts access ------------------------------------------------------------------------------


def mdev_facts_of(hostvars_entry):
    """The ``mdev`` facts in a hostvars entry, or the entry itself when it already is mdev facts.

    Accepts ``{'ansible_facts': {'mdev': ...}}`` (hostvars), ``{'ansible_mdev': ...}`` (facts
    injected as variables), ``{'mdev': ...}`` (a host's ``ansible_facts``, as a fact cache holds
    them) and bare mdev facts. Returns None when there are none.
    """
    if not isinstance(hostvars_entry, Mapping):
        return None
    if "schema_version" in hostvars_entry and "parents" in hostvars_entry:
        return hostvars_entry
    for outer, inner in (("ansible_facts", "mdev"), (None, "ansible_mdev"), (None, "mdev")):
        container = hostvars_entry.get(outer) if outer else hostvars_entry
        if isinstance(container, Mapping):
            facts = container.get(inner)
            if isinstance(facts, Mapping) and "parents" in facts:
                return facts
    return None


_STR = (str, type(None))


def _is_int(value, none_ok=True):
    return (value is None and none_ok) or (isinstance(value, int) and not isinstance(value, bool))


def _mapping_problem(where, value, none_ok=False):
    if value is None and none_ok:
        return None
    return None if isinstance(value, Mapping) else "%s is not a mapping" % where


def facts_problem(facts, type_id=None):
    """Why ``facts`` are not usable mdev facts (a sentence naming the key), or None.

    Facts come from hosts and caches: whatever shape they arrive in, a malformed value must give
    an ``unknown`` verdict with this reason, never an exception or a guess. With ``type_id``,
    only that type is checked under each parent: a selection reads no other.
    """
    problem = _mapping_problem("the facts", facts)
    if problem:
        return problem
    for key in ("parents", "devices", "vendor_vfio"):
        problem = _mapping_problem(key, facts.get(key, {}))
        if problem:
            return problem
    if not isinstance(facts.get("kernel_release"), _STR):
        return "kernel_release is not a string"
    subset = facts.get("gather_subset")
    if subset is not None and not (isinstance(subset, (list, tuple)) and all(isinstance(x, str) for x in subset)):
        return "gather_subset is not a list of names"
    for pname, parent in (facts.get("parents") or {}).items():
        where = "parents.%s" % pname
        problem = _mapping_problem(where, parent) or _mapping_problem(where + ".types", parent.get("types", {})) \
            or _mapping_problem(where + ".pci", parent.get("pci"), none_ok=True)
        if problem:
            return problem
        for key in ("bus", "driver", "driver_version"):
            if not isinstance(parent.get(key), _STR):
                return "%s.%s is not a string" % (where, key)
        if any(not isinstance(v, _STR) for v in (parent.get("pci") or {}).values()):
            return "%s.pci has a value that is not a string" % where
        types = parent.get("types") or {}
        for tid in (types if type_id is None else [type_id] if type_id in types else []):
            problem = _type_problem("%s.types.%s" % (where, tid), types[tid])
            if problem:
                return problem
    for uuid, dev in (facts.get("devices") or {}).items():
        where = "devices.%s" % uuid
        problem = _mapping_problem(where, dev) or _mapping_problem(where + ".migration", dev.get("migration"),
                                                                   none_ok=True)
        if problem:
            return problem
        if not isinstance(dev.get("parent"), _STR) or not isinstance(dev.get("type_id"), _STR):
            return "%s has a parent or type_id that is not a string" % where
    for address, vf in (facts.get("vendor_vfio") or {}).items():
        where = "vendor_vfio.%s" % address
        problem = _mapping_problem(where, vf) or _mapping_problem(where + ".creatable_types",
                                                                  vf.get("creatable_types", {})) \
            or _mapping_problem(where + ".pci", vf.get("pci"), none_ok=True)
        if problem:
            return problem
        if not _is_int(vf.get("current_type")):
            return "%s.current_type is not an integer" % where
        if any(not isinstance(vf.get(k), _STR) for k in ("physfn", "driver", "driver_version")):
            return "%s has a physfn, driver or driver_version that is not a string" % where
    return None


def _type_problem(where, mtype):
    problem = _mapping_problem(where, mtype)
    if problem:
        return problem
    problem = _mapping_problem(where + ".migration", mtype.get("migration"), none_ok=True)
    if problem:
        return problem
    if not _is_int(mtype.get("available_instances")):
        return "%s.available_instances is not an integer" % where
    if not isinstance(mtype.get("device_api"), _STR) or not isinstance(mtype.get("name"), _STR):
        return "%s has a device_api or name that is not a string" % where
    devices = mtype.get("devices")
    if devices is not None and not isinstance(devices, (list, tuple)):
        return "%s.devices is not a list" % where
    mig = mtype.get("migration") or {}
    if not isinstance(mig.get("version"), _STR) or mig.get("supported") not in (True, False, None):
        return "%s.migration has a version that is not a string or a supported that is not a boolean" % where
    return None


def _subset(facts, name):
    gathered = facts.get("gather_subset")
    return gathered is None or name in gathered


def _get(mapping, dotted):
    """Value at a dotted path (``ansible_facts.distribution``) in a mapping, or a sentinel."""
    current = mapping
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


class _Missing:
    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()


# -- source ------------------------------------------------------------------------------------


def source_from_facts(facts, device, host=None):
    """Describe a source device from its host's mdev facts.

    ``device`` is an mdev UUID, or the PCI address of an NVIDIA vendor-VFIO VF.
    """
    where = "source_host %s" % host if host else "source facts"
    if facts is None:
        raise PolicyInputError("%s: %s" % (where, NO_FACTS))
    problem = facts_problem(facts)
    if problem:
        raise PolicyInputError("%s: malformed mdev facts: %s" % (where, problem))
    devices = facts.get("devices") or {}
    if device in devices:
        dev = devices[device]
        parent_name = dev.get("parent")
        type_id = dev.get("type_id")
        parent = (facts.get("parents") or {}).get(parent_name) or {}
        mtype = (parent.get("types") or {}).get(type_id) or {}
        migration = mtype.get("migration") or {}
        dev_migration = dev.get("migration") or {}
        return {
            "kind": "mdev",
            "host": host,
            "device": device,
            "parent": parent_name,
            "type_id": type_id,
            "device_api": mtype.get("device_api"),
            "migration": dict(migration),
            "device_migration": dict(dev_migration),
            "pci": parent.get("pci"),
            "driver": parent.get("driver"),
            "driver_version": parent.get("driver_version"),
            "kernel_release": facts.get("kernel_release"),
        }
    vfs = facts.get("vendor_vfio") or {}
    if device in vfs:
        vf = vfs[device]
        if not vf.get("current_type"):
            raise PolicyInputError("device %s on %s is a vendor-VFIO VF with no vGPU type in use" % (device, where))
        return {
            "kind": "vendor_vfio",
            "host": host,
            "device": device,
            "parent": vf.get("physfn"),
            "type_id": str(vf.get("current_type")),
            "device_api": "vfio-pci",
            "migration": {},
            "device_migration": {},
            "pci": vf.get("pci"),
            "driver": vf.get("driver"),
            "driver_version": vf.get("driver_version"),
            "kernel_release": facts.get("kernel_release"),
        }
    raise PolicyInputError("device %r is neither an mdev UUID nor a vendor-VFIO VF in the facts of %s" % (device, where))


def source_from_description(type_id, version=None, identity=None):
    """Describe a source from a type-id, a version and identity facts given by the user."""
    if not isinstance(type_id, str) or not type_id:
        raise PolicyInputError("type_id must be a non-empty string")
    identity = identity or {}
    if not isinstance(identity, Mapping):
        raise PolicyInputError("identity must be a dictionary")
    unknown = set(identity) - {"device_api", "pci", "driver", "driver_version", "kernel_release", "kind"}
    if unknown:
        raise PolicyInputError("identity has unknown keys %s; allowed are device_api, pci, driver, driver_version, "
                               "kernel_release, kind" % ", ".join(sorted(unknown)))
    kind = identity.get("kind", "mdev")
    if kind not in ("mdev", "vendor_vfio"):
        raise PolicyInputError("identity.kind must be mdev or vendor_vfio")
    return {
        "kind": kind,
        "host": None,
        "device": None,
        "parent": None,
        "type_id": type_id,
        "device_api": identity.get("device_api"),
        "migration": {"attribute": "migration_version", "version": version, "supported": True}
        if version is not None else {},
        "device_migration": {},
        "pci": identity.get("pci"),
        "driver": identity.get("driver"),
        "driver_version": identity.get("driver_version"),
        "kernel_release": identity.get("kernel_release"),
    }


# -- identity rules ----------------------------------------------------------------------------


def identity_checks(source, target_parent, target_type, target_kernel):
    """Compare identity facts. Returns ``(mismatches, missing)``: lists of reasons."""
    mismatches, missing = [], []

    def compare(label, src, dst):
        if src is None or dst is None:
            missing.append("%s is not known on %s" % (label, "the source" if src is None else "the target"))
        elif src != dst:
            mismatches.append("%s differs: source %s, target %s" % (label, src, dst))

    if target_type is not None:
        compare("device_api", source.get("device_api"), target_type.get("device_api"))
    src_pci, dst_pci = source.get("pci"), target_parent.get("pci")
    if src_pci is None and dst_pci is None and target_parent.get("bus") is None and source.get("kind") == "mdev":
        pass    # two non-PCI parents (sample drivers): the type-id already names the driver
    elif src_pci is None or dst_pci is None:
        missing.append("parent PCI identity is not known on %s" % ("the source" if src_pci is None else "the target"))
    else:
        for key in PCI_BOARD_KEYS:
            compare("parent PCI %s" % key, src_pci.get(key), dst_pci.get(key))
    if source.get("driver") is not None or target_parent.get("driver") is not None:
        compare("driver", source.get("driver"), target_parent.get("driver"))
    src_ver, dst_ver = source.get("driver_version"), target_parent.get("driver_version")
    if src_ver is None and dst_ver is None:
        # An in-tree driver has no module version: the kernel release stands for it.
        compare("kernel release (in-tree driver without a module version)", source.get("kernel_release"), target_kernel)
    else:
        compare("driver version", src_ver, dst_ver)
    return mismatches, missing


def _parent_result(name, verdict, evidence, capacity, reasons):
    return {"parent": name, "verdict": verdict, "evidence": evidence, "capacity": capacity, "reasons": reasons}


def decide_mdev_parent(source, parent_name, parent, target_type, kernel, policy):
    """Verdict for one target parent that offers the source's type."""
    capacity = target_type.get("available_instances")
    capacity = capacity if isinstance(capacity, int) and not isinstance(capacity, bool) else 0
    src_mig = source.get("migration") or {}
    dst_mig = target_type.get("migration")
    label = "%s on %s" % (source["type_id"], parent_name)
    if src_mig.get("supported") is False:
        return _parent_result(parent_name, INCOMPATIBLE, EVIDENCE_VERSION, capacity,
                              ["the source type does not support migration (reading its %s failed with %s)"
                               % (src_mig.get("attribute"), src_mig.get("errno"))])
    if dst_mig is not None and dst_mig.get("supported") is False:
        return _parent_result(parent_name, INCOMPATIBLE, EVIDENCE_VERSION, capacity,
                              ["%s does not support migration (reading its %s failed with %s)"
                               % (label, dst_mig.get("attribute"), dst_mig.get("errno"))])
    src_version = src_mig.get("version") if src_mig.get("supported") else None
    dst_version = dst_mig.get("version") if dst_mig and dst_mig.get("supported") else None
    both_publish = src_version is not None and dst_version is not None
    if policy == "version" or (policy == "auto" and both_publish):
        if dst_mig is None:
            return _parent_result(parent_name, UNKNOWN, EVIDENCE_UNKNOWN, capacity,
                                  ["versions were not gathered on the target (gather_subset)"])
        if not both_publish:
            side = "source" if src_version is None else "target"
            return _parent_result(parent_name, UNKNOWN, EVIDENCE_UNKNOWN, capacity,
                                  ["the %s publishes no migration version for %s, so the version policy cannot decide"
                                   % (side, source["type_id"])])
        if src_version == dst_version:
            return _parent_result(parent_name, COMPATIBLE, EVIDENCE_VERSION, capacity,
                                  ["%s publishes the source's migration version %s" % (label, src_version)])
        return _parent_result(parent_name, UNKNOWN, EVIDENCE_VERSION, capacity,
                              ["%s publishes version %s, the source %s: only a probe can tell whether the target "
                               "accepts it" % (label, dst_version, src_version)])
    mismatches, missing = identity_checks(source, parent, target_type, kernel)
    if mismatches:
        return _parent_result(parent_name, INCOMPATIBLE, EVIDENCE_POLICY, capacity, mismatches)
    if missing:
        return _parent_result(parent_name, UNKNOWN, EVIDENCE_UNKNOWN, capacity, missing)
    return _parent_result(parent_name, COMPATIBLE, EVIDENCE_POLICY, capacity,
                          ["identity policy: %s, same device_api, parent PCI ids, driver and driver version"
                           % label])


def decide_vendor_vfio(source, facts):
    """Per physical GPU of the target: identity verdict, and capacity = free VFs that can create the type."""
    gpus = {}
    for address, vf in (facts.get("vendor_vfio") or {}).items():
        gpus.setdefault(vf.get("physfn") or address, []).append((address, vf))
    results = []
    for physfn in sorted(gpus):
        vfs = gpus[physfn]
        first = vfs[0][1]
        parent = {"pci": first.get("pci"), "driver": first.get("driver"), "driver_version": first.get("driver_version"),
                  "bus": "pci"}
        free = sorted(a for a, vf in vfs if not vf.get("current_type")
                      and source["type_id"] in (vf.get("creatable_types") or {}))
        mismatches, missing = identity_checks(source, parent, None, facts.get("kernel_release"))
        if mismatches:
            results.append(_parent_result(physfn, INCOMPATIBLE, EVIDENCE_POLICY, len(free), mismatches))
        elif missing:
            results.append(_parent_result(physfn, UNKNOWN, EVIDENCE_UNKNOWN, len(free), missing))
        else:
            result = _parent_result(physfn, COMPATIBLE, EVIDENCE_POLICY, len(free),
                                    ["identity policy: same GPU board ids and driver version; %d free VF(s) can "
                                     "create vGPU type %s" % (len(free), source["type_id"])])
            result["free_vfs"] = free
            results.append(result)
    return results


def apply_probe(result, probe_records, source_versions):
    """Let probe evidence override the offline verdict of one parent.

    ``probe_records`` are result records of mdev_version_probe on the target; only those for
    this parent and one of the source's versions count. A refusal anywhere wins over an
    acceptance; a probe that failed (``error``) changes nothing but is named in the reasons.
    """
    mine = [rec for rec in probe_records
            if rec.get("parent") == result["parent"] and rec.get("source_version") in source_versions]
    verdicts = set(rec.get("verdict") for rec in mine)
    if INCOMPATIBLE in verdicts:
        errno_ = [rec.get("errno") for rec in mine if rec.get("verdict") == INCOMPATIBLE][0]
        result.update(verdict=INCOMPATIBLE, evidence=EVIDENCE_PROBE,
                      reasons=["the target's driver refused the source version in a write probe (%s)" % errno_])
    elif COMPATIBLE in verdicts:
        result.update(verdict=COMPATIBLE, evidence=EVIDENCE_PROBE,
                      reasons=["the target's driver accepted the source version in a write probe"])
    for rec in mine:
        if rec.get("verdict") == "error":
            result["reasons"] = result["reasons"] + ["the write probe failed: %s" % rec.get("message")]
    return result


def source_versions(source):
    """The version strings of a source that a probe may have been run with."""
    return set(v for v in ((source.get("migration") or {}).get("version"),
                           (source.get("device_migration") or {}).get("version")) if v is not None)


def evaluate_device(source, host, facts, policy="auto", probe_records=None, where=None):
    """Verdict of one source device against one target host.

    ``where`` is a callable taking a candidate record and returning truthiness (the filter
    compiles the user's JMESPath into it).
    """
    record = {"host": host, "verdict": UNKNOWN, "evidence": EVIDENCE_UNKNOWN, "parents": [], "capacity": 0,
              "reasons": []}
    if facts is None:
        record["reasons"] = [NO_FACTS]
        return record
    problem = facts_problem(facts, source["type_id"] if source["kind"] == "mdev" else None)
    if problem:
        record["reasons"] = ["malformed mdev facts: %s" % problem]
        return record
    kernel = facts.get("kernel_release")
    if source["kind"] == "vendor_vfio":
        if not _subset(facts, "vendor_vfio"):
            record["reasons"] = ["vendor_vfio facts were not gathered on the target (gather_subset)"]
            return record
        if not facts.get("vendor_vfio"):
            record.update(verdict=INCOMPATIBLE, evidence=EVIDENCE_POLICY,
                          reasons=["the host has no NVIDIA vendor-VFIO virtual functions"])
            return record
        parent_results = decide_vendor_vfio(source, facts)
    else:
        if not _subset(facts, "types"):
            record["reasons"] = ["mdev types were not gathered on the target (gather_subset)"]
            return record
        parent_results = []
        for name in sorted(facts.get("parents") or {}):
            parent = facts["parents"][name]
            mtype = (parent.get("types") or {}).get(source["type_id"])
            if mtype is None:
                continue
            result = decide_mdev_parent(source, name, parent, mtype, kernel, policy)
            if probe_records:
                apply_probe(result, probe_records, source_versions(source))
            parent_results.append(result)
        if not parent_results:
            record.update(verdict=INCOMPATIBLE, evidence=EVIDENCE_POLICY,
                          reasons=["no parent offers mdev type %s" % source["type_id"]])
            return record
    if where is not None:
        for result in parent_results:
            if result["verdict"] != INCOMPATIBLE and not where(host, facts, source, result["parent"]):
                result.update(verdict=INCOMPATIBLE, evidence=EVIDENCE_POLICY,
                              reasons=["parent %s does not satisfy the where expression" % result["parent"]])
    best = min(parent_results, key=lambda r: (VERDICT_RANK[r["verdict"]], EVIDENCE_RANK[r["evidence"]]))
    fitting = [r for r in parent_results if r["verdict"] == best["verdict"]]
    record["verdict"] = best["verdict"]
    record["evidence"] = best["evidence"]
    record["parents"] = [r["parent"] for r in fitting]
    record["capacity"] = sum(r["capacity"] for r in fitting)
    record["reasons"] = ["%s: %s" % (r["parent"], reason) for r in parent_results for reason in r["reasons"]]
    free = [vf for r in fitting for vf in r.get("free_vfs", [])]
    if source["kind"] == "vendor_vfio":
        record["free_vfs"] = free
    return record


def match_host_vars(names, source_vars, target_vars):
    """Compare user-chosen host variables (dotted paths). Returns (verdict or None, reasons)."""
    reasons = []
    verdict = None
    for name in names:
        src, dst = _get(source_vars or {}, name), _get(target_vars or {}, name)
        if src is _MISSING or dst is _MISSING:
            reasons.append("match_vars: %s is not defined on the %s" % (name, "source" if src is _MISSING else "target"))
            verdict = verdict or UNKNOWN
        elif src != dst:
            reasons.append("match_vars: %s differs: source %s, target %s" % (name, src, dst))
            verdict = INCOMPATIBLE
    return verdict, reasons


def combine_devices(host, per_device, sources):
    """One host record for several source devices: the target must fit all of them."""
    if len(per_device) == 1:
        return dict(per_device[0])
    worst = max(per_device, key=lambda r: (VERDICT_RANK[r["verdict"]], EVIDENCE_RANK[r["evidence"]]))
    need = {}
    for src in sources:
        need[src["type_id"]] = need.get(src["type_id"], 0) + 1
    capacity = min(r["capacity"] // need[s["type_id"]] for r, s in zip(per_device, sources))
    return {
        "host": host,
        "verdict": worst["verdict"],
        "evidence": worst["evidence"],
        "parents": sorted(set(p for r in per_device for p in r["parents"])),
        "capacity": capacity,
        "reasons": ["%s: %s" % (s["device"] or s["type_id"], reason) for r, s in zip(per_device, sources)
                    for reason in r["reasons"]],
        "devices": {s["device"] or s["type_id"]: {k: r[k] for k in ("verdict", "evidence", "parents", "capacity")}
                    for r, s in zip(per_device, sources)},
    }


def rank_key(record):
    """Probe-verified first, then version, then policy; then most free capacity; then name."""
    return (EVIDENCE_RANK[record["evidence"]], -record["capacity"], record["host"])


def select(records, min_available=1):
    """Mark each record ``selected`` and return all records: chosen (ranked) first, then rejected by name."""
    chosen, rejected = [], []
    for rec in records:
        if rec["verdict"] == COMPATIBLE and rec["capacity"] >= min_available:
            rec["selected"] = True
            chosen.append(rec)
        else:
            rec["selected"] = False
            if rec["verdict"] == COMPATIBLE:
                rec["reasons"] = rec["reasons"] + [
                    "compatible, but only %d free instance(s) where %d are required (min_available)"
                    % (rec["capacity"], min_available)]
            rejected.append(rec)
    chosen.sort(key=rank_key)
    rejected.sort(key=lambda r: r["host"])
    for index, rec in enumerate(chosen):
        rec["rank"] = index + 1
    for rec in rejected:
        rec["rank"] = None
    return chosen + rejected


# -- version strings ---------------------------------------------------------------------------

_RFC_V1 = re.compile(r"^([0-9a-fA-F]{4})([0-9a-fA-F]{4})-(.+)$")
_GVT_V5 = re.compile(r"^([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-(.+)-([0-9a-fA-F]{8})$")
DEVICE_TYPES = {0x0002: "pci", 0x0004: "platform", 0x0008: "ccw", 0x0020: "ap"}


def parse_version(text):
    """Parse a migration version string. Never raises on a string.

    ``rfc_v1``: 32-bit common part (high 16 bits device type, low 16 bits PCI vendor) then a
    vendor part, e.g. ``00028086-193b-i915-GVTg_V5_4``. ``gvt_v5``: ``<vendor>-<device>-<type>-<software
    version>`` as the GVT reference implementation prints it. Anything else is ``opaque``.
    """
    result = {"raw": text, "format": "opaque", "vendor_id": None, "device_id": None, "device_type": None,
              "type": None, "software_version": None, "vendor_part": None}
    match = _GVT_V5.match(text)
    if match:
        result.update(format="gvt_v5", vendor_id=match.group(1).lower(), device_id=match.group(2).lower(),
                      type=match.group(3), software_version=match.group(4).lower())
        return result
    match = _RFC_V1.match(text)
    if match and int(match.group(1), 16) in DEVICE_TYPES:
        result.update(format="rfc_v1", device_type=DEVICE_TYPES[int(match.group(1), 16)],
                      vendor_id=match.group(2).lower(), vendor_part=match.group(3))
    return result


# -- domains -----------------------------------------------------------------------------------


def _domain_key(kind, type_id, member, kernel):
    """Members with equal keys can migrate among each other."""
    mig = member.get("migration") or {}
    if mig.get("supported") is False:
        return None
    if mig.get("supported") and mig.get("version") is not None:
        return ("version", type_id, mig["version"])
    pci = member.get("pci") or {}
    version = member.get("driver_version")
    return ("identity", kind, type_id, member.get("device_api"), tuple(pci.get(k) for k in PCI_BOARD_KEYS),
            member.get("driver"), version if version is not None else "kernel " + str(kernel))


def fleet_members(fleet):
    """(host, kind, parent, type_id, member record) for every type offered in the fleet."""
    for host in sorted(fleet):
        facts = fleet[host]
        if facts is None:
            continue
        kernel = facts.get("kernel_release")
        for pname in sorted(facts.get("parents") or {}):
            parent = facts["parents"][pname]
            for type_id in sorted(parent.get("types") or {}):
                mtype = parent["types"][type_id]
                avail = mtype.get("available_instances")
                yield host, kernel, "mdev", pname, type_id, {
                    "migration": mtype.get("migration") or {}, "pci": parent.get("pci"),
                    "driver": parent.get("driver"), "driver_version": parent.get("driver_version"),
                    "device_api": mtype.get("device_api"), "devices": list(mtype.get("devices") or []),
                    "available": avail if isinstance(avail, int) and not isinstance(avail, bool) else 0,
                    "name": mtype.get("name"),
                }
        gpus = {}
        for address, vf in sorted((facts.get("vendor_vfio") or {}).items()):
            gpus.setdefault(vf.get("physfn") or address, []).append((address, vf))
        for physfn, vfs in sorted(gpus.items()):
            types = {}
            for address, vf in vfs:
                for tid, name in (vf.get("creatable_types") or {}).items():
                    types.setdefault(str(tid), {"name": name, "available": 0, "devices": []})
                    if not vf.get("current_type"):
                        types[str(tid)]["available"] += 1
                if vf.get("current_type"):
                    types.setdefault(str(vf["current_type"]), {"name": None, "available": 0, "devices": []})
                    types[str(vf["current_type"])]["devices"].append(address)
            first = vfs[0][1]
            for tid in sorted(types):
                yield host, kernel, "vendor_vfio", physfn, tid, dict(
                    types[tid], migration={}, pci=first.get("pci"), driver=first.get("driver"),
                    driver_version=first.get("driver_version"), device_api="vfio-pci")


def migration_domains(fleet, accepts=None):
    """Group (host, parent, type) into domains whose members can migrate among each other.

    ``fleet`` maps host -> mdev facts (None for hosts without facts). ``accepts`` is an optional
    list of probe records ``{host, parent, type_id, source_version}`` that were accepted: two
    version groups of a type whose members accept each other's version are merged (probe
    evidence), a one-way acceptance is reported in ``one_way``.
    """
    groups = {}
    unsupported = []
    for host, kernel, kind, parent, type_id, member in fleet_members(fleet):
        key = _domain_key(kind, type_id, member, kernel)
        entry = {"host": host, "parent": parent, "available": member["available"], "devices": member["devices"],
                 "version": (member["migration"] or {}).get("version")}
        if key is None:
            unsupported.append(dict(entry, type_id=type_id, kind=kind))
            continue
        group = groups.setdefault(key, {"kind": kind, "type_id": type_id, "evidence": key[0], "members": [],
                                        "name": member.get("name")})
        group["members"].append(entry)
    # Probe evidence: merge version groups of a type that accept each other's version.
    accepted = set()
    for rec in accepts or []:
        accepted.add((rec["host"], rec["parent"], rec["type_id"], rec["source_version"]))
    keys = sorted(groups, key=str)
    parent_of = {k: k for k in keys}

    def find(k):
        while parent_of[k] != k:
            k = parent_of[k]
        return k

    def group_accepts(target, source):
        """Every member of ``target`` accepted the version of ``source`` in a probe."""
        version = source["members"][0]["version"]
        return all((m["host"], m["parent"], target["type_id"], version) in accepted for m in target["members"])

    one_way = []
    for i, ka in enumerate(keys):
        for kb in keys[i + 1:]:
            ga, gb = groups[ka], groups[kb]
            if ka[0] != "version" or kb[0] != "version" or ka[1] != kb[1]:
                continue
            ab, ba = group_accepts(ga, gb), group_accepts(gb, ga)
            if ab and ba:
                parent_of[find(kb)] = find(ka)
            elif ab or ba:
                src, dst = (gb, ga) if ab else (ga, gb)
                one_way.append({"type_id": ga["type_id"], "from_version": src["members"][0]["version"],
                                "to_version": dst["members"][0]["version"],
                                "to_hosts": sorted(set(m["host"] for m in dst["members"]))})
    merged = {}
    roots = [find(k) for k in keys]
    for k, root in zip(keys, roots):
        if root not in merged:
            merged[root] = dict(groups[root], members=[], versions=set())
            if roots.count(root) > 1:     # groups joined by probe evidence
                merged[root]["evidence"] = "probe"
        merged[root]["members"].extend(groups[k]["members"])
        if groups[k]["members"][0]["version"] is not None:
            merged[root]["versions"].add(groups[k]["members"][0]["version"])
    domains = []
    for root in sorted(merged, key=lambda k: (merged[k]["type_id"], str(k))):
        group = merged[root]
        members = sorted(group["members"], key=lambda m: (m["host"], m["parent"]))
        hosts = sorted(set(m["host"] for m in members))
        per_host = {}
        for m in members:
            per_host[m["host"]] = per_host.get(m["host"], 0) + m["available"]
        total = sum(per_host.values())
        stranded = []
        for m in members:
            # free instances on the other hosts of the domain
            if total - per_host[m["host"]] < 1:
                stranded.extend({"host": m["host"], "parent": m["parent"], "device": dev} for dev in m["devices"])
        domains.append({
            "kind": group["kind"],
            "type_id": group["type_id"],
            "type_name": group.get("name"),
            "evidence": "policy" if group["evidence"] == "identity" else group["evidence"],
            "versions": sorted(group["versions"]),
            "hosts": hosts,
            "members": [{"host": m["host"], "parent": m["parent"], "available": m["available"],
                         "devices": m["devices"]} for m in members],
            "capacity": sum(m["available"] for m in members),
            "devices": sum(len(m["devices"]) for m in members),
            "stranded": stranded,
        })
    for index, domain in enumerate(domains):
        domain["id"] = "%s#%d" % (domain["type_id"], 1 + sum(1 for d in domains[:index] if d["type_id"] == domain["type_id"]))
    return {"domains": domains, "unsupported": unsupported, "one_way": one_way}
