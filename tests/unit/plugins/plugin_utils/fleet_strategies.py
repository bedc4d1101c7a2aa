# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis strategies of whole fleets (mdev facts and probe results) for the verdict tests.

Values are drawn from small pools in which the source's own value is the most likely one, so
that equal, different and unknown identity facts, and every version state, all occur often.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from hypothesis import strategies as st

from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    NOT_GATHERED,
    PARENT,
    SRC_UUID,
    TYPE,
    facts,
    migration,
    mtype,
    parent,
    probe_loop,
    probe_record,
    probe_result,
    unreadable,
    unsupported,
)

OTHER_TYPE = "nvidia-223"
GOOD_VERSIONS = ("v1", "v2")
# Versions the probe would refuse to write: unreadable, never equal.
BAD_VERSIONS = ["", "   ", "v1\n", "v\x01", "v\u00e9", "x" * 4097]
PARENTS = [PARENT, "0000:5e:00.0", "mtty"]


def weighted(base, *others, weight=3):
    return st.sampled_from([base] * weight + list(others))


@st.composite
def migration_records(draw, versions=GOOD_VERSIONS):
    kinds = ["published"] * 5 + ["absent"] * 3 + ["bad", "unsupported", "unreadable", "not_gathered"]
    kind = draw(st.sampled_from(kinds))
    if kind == "published":
        return migration(draw(st.sampled_from(list(versions))))
    if kind == "bad":
        return migration(draw(st.sampled_from(BAD_VERSIONS)))
    if kind == "unsupported":
        return unsupported(draw(st.sampled_from(["ENODEV", "EOPNOTSUPP"])))
    if kind == "unreadable":
        return unreadable()
    if kind == "not_gathered":
        return NOT_GATHERED
    return migration()


@st.composite
def identities(draw):
    """Identity facts of a parent (PCI, a non-PCI sample driver, or unknown kind)."""
    kind = draw(st.sampled_from(["pci"] * 6 + ["bus_only", "mtty", "mdpy", "unknown"]))
    if kind == "pci":
        subsystem, bus = "pci", draw(weighted("pci", None))
    elif kind == "bus_only":
        subsystem, bus = None, "pci"
    elif kind in ("mtty", "mdpy"):
        subsystem, bus = kind, None
    else:
        subsystem, bus = None, None
    pci = {"vendor_id": draw(weighted("10de", "8086", None, weight=6)),
           "device_id": draw(weighted("1eb8", "1eb9", None, weight=6)),
           "subsystem_vendor_id": draw(weighted("10de", None, weight=8)),
           "subsystem_device_id": draw(weighted("12a2", "12a3", None, weight=8)),
           "revision": draw(st.sampled_from(["a1", "a2", None]))}     # never compared
    return {"subsystem": subsystem, "bus": bus, "pci": pci,
            "driver": draw(weighted("nvidia", "nouveau", None, weight=6)),
            "driver_version": draw(weighted("550.54.10", "550.90.07", None, weight=2)),
            "driver_in_tree": draw(st.sampled_from([True, True, False, None])),
            "numa_node": draw(st.sampled_from([0, 1]))}


def make_parent(types, ident):
    p = parent(types, pci=ident["pci"], driver=ident["driver"], driver_version=ident["driver_version"],
               numa_node=ident["numa_node"], bus=ident["bus"], subsystem=ident["subsystem"],
               driver_in_tree=ident["driver_in_tree"])
    p["pci"] = dict(ident["pci"])
    return p


@st.composite
def mdev_types(draw, devices=()):
    return mtype(draw(st.sampled_from([0, 1, 2, 5, None, -1])), device_api=draw(weighted("vfio-pci", "vfio-ccw",
                                                                                         None, weight=6)),
                 devices=devices, mig=draw(migration_records()))


@st.composite
def host_ids(draw, src_ids):
    """machine_id and boot_id: sometimes the source's (an alias of the source machine), sometimes null."""
    machine = draw(st.sampled_from([None, "m-other", "m-x", src_ids[0]] if src_ids[0] else [None, "m-other"]))
    boot = draw(st.sampled_from([None, "b-other", "b-y", src_ids[1]] if src_ids[1] else [None, "b-other"]))
    return machine or "", boot or ""


def _ids_of(ids):
    machine, boot = ids
    return machine or None, boot or None


@st.composite
def source_facts(draw, with_aliases=True):
    """The source host: one mdev SRC_UUID of TYPE on PARENT (device-level record random too)."""
    ident = draw(identities())
    dev_mig = draw(st.sampled_from(["absent"] * 4 + ["same", "other", "unsupported", "unreadable", "not_gathered"]))
    src_type = draw(mdev_types(devices=[SRC_UUID]))
    type_version = (src_type.get("migration") or {}).get("version")
    if dev_mig == "absent":
        dmig = migration()
    elif dev_mig == "same":
        dmig = migration(type_version if isinstance(type_version, str) else "v1")
    elif dev_mig == "other":
        dmig = migration(draw(st.sampled_from(list(GOOD_VERSIONS) + BAD_VERSIONS[:2])))
    elif dev_mig == "unsupported":
        dmig = unsupported()
    elif dev_mig == "unreadable":
        dmig = unreadable()
    else:
        dmig = NOT_GATHERED
    device = {"parent": PARENT, "type_id": TYPE}
    if dmig is not NOT_GATHERED:
        device["migration"] = dmig
    ids = ("m-src", "b-src")
    if with_aliases:
        ids = (draw(st.sampled_from(["m-src", None])), draw(st.sampled_from(["b-src", None])))
    result = facts(parents={PARENT: make_parent({TYPE: src_type}, ident)}, devices={SRC_UUID: device},
                   kernel=draw(weighted("6.8.0", "6.1.0", None)), machine_id=ids[0] or "", boot_id=ids[1] or "")
    result["machine_id"], result["boot_id"] = ids
    return result


IDENTITY_ALTERNATIVES = {
    "subsystem": ["mtty", None], "bus": [None], "driver": ["nouveau", None],
    "driver_version": ["550.90.07", None], "driver_in_tree": [False, None, True],
    "vendor_id": ["8086", None], "device_id": ["1eb9", None], "subsystem_vendor_id": ["17aa", None],
    "subsystem_device_id": ["12a3", None], "revision": ["ff"],
}


@st.composite
def near_identity(draw, src_ident):
    """The source's identity, or it with one field changed or unknown, or an unrelated one."""
    how = draw(st.sampled_from(["same"] * 2 + ["one"] * 3 + ["two", "random"]))
    if how == "random" or src_ident is None:
        return draw(identities())
    ident = dict(src_ident, pci=dict(src_ident["pci"]))
    for _count in range({"same": 0, "one": 1, "two": 2}[how]):
        field = draw(st.sampled_from(sorted(IDENTITY_ALTERNATIVES)))
        value = draw(st.sampled_from(IDENTITY_ALTERNATIVES[field]))
        (ident["pci"] if field in ident["pci"] else ident)[field] = value
    return ident


@st.composite
def near_type(draw, src_type):
    if src_type is None or draw(st.booleans()):
        return draw(mdev_types())
    result = dict(src_type, devices=[], available_instances=draw(st.sampled_from([0, 1, 2, 5, None, -1])))
    if draw(st.integers(0, 4)) == 0:
        result["device_api"] = draw(st.sampled_from(["vfio-ccw", None]))
    return result


@st.composite
def target_facts(draw, src_ids=(None, None), with_aliases=True, src_ident=None, src_type=None):
    if draw(st.integers(0, 11)) == 0:
        return None                                  # unreachable / no facts
    parents = {}
    for name in draw(st.lists(st.sampled_from(PARENTS), unique=True, min_size=1, max_size=2)):
        types = {}
        for type_id in draw(st.lists(st.sampled_from([TYPE, TYPE, OTHER_TYPE]), unique=True, min_size=1,
                                     max_size=2)):
            types[type_id] = draw(near_type(src_type))
        parents[name] = make_parent(types, draw(near_identity(src_ident)))
    devices = {}
    if draw(st.integers(0, 15)) == 0:
        devices[SRC_UUID] = {"parent": PARENT, "type_id": TYPE, "migration": migration()}   # UUID clash
    ids = draw(host_ids(src_ids)) if with_aliases else ("", "")
    result = facts(parents=parents, devices=devices, kernel=draw(weighted("6.8.0", "6.1.0", None)))
    if with_aliases:
        result["machine_id"], result["boot_id"] = _ids_of(ids)
    if draw(st.integers(0, 15)) == 0:
        result["gather_subset"] = ["devices", "pci"]            # types not gathered
    if draw(st.integers(0, 15)) == 0:                           # UUID clash with an mdevctl definition
        result["gather_subset"] = result["gather_subset"] + ["mdevctl"]
        result["mdevctl"] = {"config_dir": "/etc/mdevctl.d", "available": True, "error": None,
                             "unreadable_parents": []}
        result["defined"] = {SRC_UUID: {"parent": PARENT, "type_id": TYPE, "start": "manual", "active": False,
                                        "attrs": [], "error": None}}
    return result


@st.composite
def probe_outcomes(draw, versions, parents):
    """What a host registered from mdev_version_probe, for the source ``versions`` and the host's ``parents``."""
    kind = draw(st.sampled_from(["none", "failed", "unreachable", "skipped"] + ["records"] * 6 + ["loop"] * 2))
    if kind == "none":
        return None
    if kind == "failed":
        return {"failed": True, "msg": "probe failed", "records": []}
    if kind == "unreachable":
        return {"unreachable": True, "msg": "ssh: timeout"}
    if kind == "skipped":
        return {"skipped": True, "changed": False}
    records = []

    def one(version, parent_name, type_id, device):
        verdict = draw(st.sampled_from(["compatible"] * 6 + ["incompatible", "error", "unsupported"]))
        written = draw(st.sampled_from(["full"] * 6 + ["short", "none", "bool", "long"]))
        written = {"full": len(version) if verdict == "compatible" else 0, "short": max(len(version) - 1, 0),
                   "none": None, "bool": True, "long": len(version) + 1}[written]
        errno = {"compatible": None, "incompatible": "EINVAL", "error": draw(st.sampled_from(["EIO", "EBUSY"])),
                 "unsupported": "ENODEV"}[verdict]
        return probe_record(version, verdict, parent_name=parent_name, type_id=type_id, device=device, errno=errno,
                            written=written)

    # Records about this very pair (each may be an acceptance, a short write, a refusal ...) ...
    for parent_name in parents:
        for version in versions:
            if draw(st.integers(0, 6)):
                records.append(one(version, parent_name, TYPE, None))
    # ... and records that are not about it: another version, parent or type, no type, device level.
    for _count in range(draw(st.integers(0, 2))):
        records.append(one(draw(st.sampled_from(list(versions) + ["v2", "v9"])),
                           draw(st.sampled_from(list(parents) + ["0000:99:00.0"])),
                           draw(weighted(TYPE, OTHER_TYPE, None, weight=1)), draw(weighted(None, SRC_UUID, weight=1))))
    records = draw(st.permutations(records))
    if kind == "records":
        return probe_result(*records)
    items, start = [], 0
    while start < len(records) or not items:
        size = draw(st.integers(1, 2))
        item = draw(st.sampled_from(["ok"] * 4 + ["failed", "skipped"]))
        if item == "ok":
            items.append(probe_result(*records[start:start + size]))
        elif item == "failed":
            items.append({"failed": True, "msg": "item failed"})
        else:
            items.append({"skipped": True})
        start += size
    return probe_loop(*items)


@st.composite
def fleets(draw, max_targets=5, with_aliases=True):
    """``(hostvars, probes or None)``: a source host ``src`` and up to ``max_targets`` candidates."""
    src = draw(source_facts(with_aliases=with_aliases))
    hosts = {"src": src}
    sp = src["parents"][PARENT]
    src_ident = {"subsystem": sp["subsystem"], "bus": sp["bus"], "pci": sp["pci"], "driver": sp["driver"],
                 "driver_version": sp["driver_version"], "driver_in_tree": sp["driver_in_tree"],
                 "numa_node": sp["numa_node"]}
    for index in range(draw(st.integers(1, max_targets))):
        hosts["h%d" % index] = draw(target_facts((src["machine_id"], src["boot_id"]), with_aliases, src_ident,
                                                 sp["types"][TYPE]))
        if hosts["h%d" % index] is not None and draw(st.booleans()):
            hosts["h%d" % index]["kernel_release"] = src["kernel_release"]
    data = {name: ({"ansible_facts": {"mdev": f}} if f is not None else {"inventory_hostname": name})
            for name, f in hosts.items()}
    probes = None
    if draw(st.booleans()):
        src_versions = []
        for record in (src["parents"][PARENT]["types"][TYPE].get("migration"),
                       src["devices"][SRC_UUID].get("migration")):
            if record and record.get("supported") is True and isinstance(record.get("version"), str):
                src_versions.append(record["version"])
        probes = {}
        for name, f in hosts.items():
            if name != "src":
                outcome = draw(probe_outcomes(src_versions or ["v1"], sorted((f or {}).get("parents") or {})))
                if outcome is not None:
                    probes[name] = outcome
    return data, probes
