# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Builders of mdev facts (as mdev_facts returns them) and of probe results, for the controller-side tests.

Facts follow the mdev_facts contract: hosts carry ``gathered_at``, ``boot_id`` and ``machine_id``;
parents ``subsystem``, ``driver_module`` and ``driver_in_tree``; migration records are
``{attribute, version, supported, errno}`` (``supported`` true: a readable version; false: an
errno meaning unsupported; null without errno: no attribute; null with errno: unreadable), and
the ``migration`` key is missing when the versions subset was not gathered. Probe results are
``{records: [...]}`` as mdev_version_probe registers them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import itertools

T4 = {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de", "subsystem_device_id": "12a2",
      "revision": "a1"}
SRC_UUID = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"
PARENT = "0000:3b:00.0"
TYPE = "nvidia-222"
GATHERED_AT = "2026-11-27T17:45:00Z"
NOT_GATHERED = object()     # as ``mig=``: leave the ``migration`` key out (versions subset not gathered)

_ids = itertools.count(1)


def stamp(seconds_ago=0):
    """A ``gathered_at`` value ``seconds_ago`` seconds before now (negative: in the future)."""
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def migration(version=None, attribute="migration_version", supported=True, errno=None):
    """A published version; with no version, no attribute (use ``unsupported``/``unreadable`` for the others)."""
    if version is None and supported is True:
        return {"attribute": None, "version": None, "supported": None, "errno": None}
    return {"attribute": attribute, "version": version, "supported": supported, "errno": errno}


def unsupported(errno="ENODEV"):
    return {"attribute": "migration_version", "version": None, "supported": False, "errno": errno}


def unreadable(errno="EIO"):
    return {"attribute": "migration_version", "version": None, "supported": None, "errno": errno}


def mtype(available=4, version=None, device_api="vfio-pci", devices=(), mig=None, name=None):
    record = {"name": name, "description": None, "device_api": device_api, "available_instances": available,
              "devices": list(devices)}
    if mig is not NOT_GATHERED:
        record["migration"] = mig if mig is not None else migration(version)
    return record


def parent(types, pci=None, driver="nvidia", driver_version="550.54.10", numa_node=0, bus="pci", subsystem="pci",
           driver_module="nvidia", driver_in_tree=False):
    return {"bus": bus, "subsystem": subsystem, "driver": driver, "driver_version": driver_version,
            "driver_module": driver_module, "driver_in_tree": driver_in_tree, "pci": dict(pci or T4),
            "numa_node": numa_node, "types": types}


def facts(parents=None, devices=None, vendor_vfio=None, kernel="6.8.0-51-generic", gathered_at=GATHERED_AT,
          machine_id=None, boot_id=None):
    """Host facts; every call gets its own machine_id and boot_id unless they are given."""
    serial = next(_ids)
    return {"schema_version": 1, "sysfs_root": "/sys", "kernel_release": kernel,
            "gathered_at": gathered_at,
            "machine_id": machine_id if machine_id is not None else "machine-%08d" % serial,
            "boot_id": boot_id if boot_id is not None else "boot-%08d" % serial,
            "gather_subset": ["devices", "pci", "types", "vendor_vfio", "versions"],
            "parents": parents or {}, "devices": devices or {}, "vendor_vfio": vendor_vfio or {}, "errors": []}


def device(parent_name=PARENT, type_id=TYPE, mig=None):
    record = {"parent": parent_name, "type_id": type_id}
    if mig is not NOT_GATHERED:
        record["migration"] = mig if mig is not None else migration()
    return record


def source_host(version="v-550", type_id=TYPE, mig=None, device_mig=None, **parent_kw):
    """A host running one mdev of ``type_id`` (with a type-level ``version``)."""
    return facts(
        parents={PARENT: parent({type_id: mtype(3, version, devices=[SRC_UUID], mig=mig)}, **parent_kw)},
        devices={SRC_UUID: device(PARENT, type_id, device_mig)},
    )


def target_host(available=4, version="v-550", type_id=TYPE, mig=None, **parent_kw):
    return facts(parents={PARENT: parent({type_id: mtype(available, version, mig=mig)}, **parent_kw)})


def hostvars(**hosts):
    """hostvars-shaped input: host -> {'ansible_facts': {'mdev': facts}} (None = no facts)."""
    return {name: ({"ansible_facts": {"mdev": f}} if f is not None else {"inventory_hostname": name})
            for name, f in hosts.items()}


def vf(physfn="0000:41:00.0", current=0, creatable=None, driver_version="580.65.06", device_id="2331",
       driver_in_tree=False):
    return {"physfn": physfn, "creatable_types": dict(creatable or {}), "current_type": current,
            "pci": {"vendor_id": "10de", "device_id": device_id, "subsystem_vendor_id": "10de",
                    "subsystem_device_id": "1626", "revision": "a1"},
            "numa_node": 0, "driver": "nvidia", "driver_version": driver_version, "driver_module": "nvidia",
            "driver_in_tree": driver_in_tree}


def probe_record(version, verdict="compatible", parent_name=PARENT, type_id=TYPE, device=None, errno=None,
                 written=None, message=None):
    """One record of mdev_version_probe; an acceptance writes the whole version unless ``written`` says otherwise."""
    if written is None:
        written = len(version) if verdict == "compatible" else 0
    if errno is None and verdict == "incompatible":
        errno = "EINVAL"
    return {"probe": "write", "parent": parent_name, "type_id": type_id, "device": device,
            "attribute": "migration_version",
            "path": "/sys/class/mdev_bus/%s/mdev_supported_types/%s/migration_version" % (parent_name, type_id),
            "source_version": version, "verdict": verdict, "errno": errno, "written": written,
            "message": message}


def probe_result(*records):
    """A registered mdev_version_probe result."""
    return {"changed": False, "failed": False, "records": list(records)}


def probe_loop(*results):
    """A registered result of mdev_version_probe run in a loop."""
    return {"changed": False, "msg": "All items completed", "results": list(results)}


def accepted(*versions, **kw):
    return probe_result(*[probe_record(v, **kw) for v in versions])


def registered_facts(host_facts):
    """What ``register`` holds after a successful mdev_facts task."""
    return {"changed": False, "failed": False, "ansible_facts": {"mdev": host_facts}}


def judge(data, host="t", **kw):
    """The ``migration_targets(details=true)`` record of ``host`` (source ``src``, device SRC_UUID by default)."""
    from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule
    kw.setdefault("source_host", "src")
    kw.setdefault("device", SRC_UUID)
    return {r["host"]: r for r in FilterModule().filters()["migration_targets"](data, details=True, **kw)}[host]


def verdict(rec):
    return rec["verdict"], rec["evidence"]


def with_vms(host_facts, available=True, vendor_vfio_gathered=True, **domains):
    """Add libvirt facts: ``name=(active, mdevs)`` or ``name=(active, mdevs, vfs)``."""
    host_facts = dict(host_facts)
    host_facts["gather_subset"] = host_facts["gather_subset"] + ["libvirt"]
    host_facts["libvirt"] = {"uri": "test:///x", "available": available, "error": None if available else "refused"}
    host_facts["domains"] = {}
    for name, spec in domains.items():
        vfs = spec[2] if len(spec) > 2 else ([] if vendor_vfio_gathered else None)
        host_facts["domains"][name] = {"uuid": "u-" + name, "state": "running" if spec[0] else "shut off",
                                       "active": spec[0], "persistent": True, "mdevs": list(spec[1]), "vfs": vfs}
    return host_facts


def with_definitions(host_facts, error=None, **entries):
    """Add mdevctl facts: ``label=(parent, type_id, start, active)`` (type_id None: unreadable file)."""
    host_facts = dict(host_facts)
    host_facts["gather_subset"] = host_facts["gather_subset"] + ["mdevctl"]
    host_facts["mdevctl"] = {"config_dir": "/etc/mdevctl.d", "available": error is None, "error": error,
                             "unreadable_parents": []}
    host_facts["defined"] = {
        "%08x-0000-4000-8000-000000000000" % index: {
            "parent": spec[0], "type_id": spec[1], "start": spec[2], "active": spec[3], "attrs": [],
            "error": None if spec[1] else "EACCES"}
        for index, spec in enumerate(entries.values())}
    return host_facts
