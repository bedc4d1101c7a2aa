# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Builders of mdev facts (as mdev_facts returns them) for the controller-side tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

T4 = {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de", "subsystem_device_id": "12a2",
      "revision": "a1"}
SRC_UUID = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"


def migration(version=None, attribute="migration_version", supported=True, errno=None):
    if version is None and supported is True:
        return {"attribute": None, "version": None, "supported": None, "errno": None}
    return {"attribute": attribute, "version": version, "supported": supported, "errno": errno}


def mtype(available=4, version=None, device_api="vfio-pci", devices=(), mig=None, name=None):
    return {"name": name, "description": None, "device_api": device_api, "available_instances": available,
            "devices": list(devices), "migration": mig if mig is not None else migration(version)}


def parent(types, pci=None, driver="nvidia", driver_version="550.54.10", numa_node=0, bus="pci"):
    return {"bus": bus, "driver": driver, "driver_version": driver_version, "pci": dict(pci or T4),
            "numa_node": numa_node, "types": types}


def facts(parents=None, devices=None, vendor_vfio=None, kernel="6.8.0-51-generic"):
    return {"schema_version": 1, "sysfs_root": "/sys", "kernel_release": kernel,
            "gather_subset": ["devices", "pci", "types", "vendor_vfio", "versions"],
            "parents": parents or {}, "devices": devices or {}, "vendor_vfio": vendor_vfio or {}, "errors": []}


def source_host(version="v-550", type_id="nvidia-222", **parent_kw):
    """A host running one mdev of ``type_id`` (with a type-level ``version``)."""
    return facts(
        parents={"0000:3b:00.0": parent({type_id: mtype(3, version, devices=[SRC_UUID])}, **parent_kw)},
        devices={SRC_UUID: {"parent": "0000:3b:00.0", "type_id": type_id, "migration": migration()}},
    )


def target_host(available=4, version="v-550", type_id="nvidia-222", mig=None, **parent_kw):
    return facts(parents={"0000:3b:00.0": parent({type_id: mtype(available, version, mig=mig)}, **parent_kw)})


def hostvars(**hosts):
    """hostvars-shaped input: host -> {'ansible_facts': {'mdev': facts}} (None = no facts)."""
    return {name: ({"ansible_facts": {"mdev": f}} if f is not None else {"inventory_hostname": name})
            for name, f in hosts.items()}


def vf(physfn="0000:41:00.0", current=None, creatable=None, driver_version="580.65.06", device_id="2331"):
    return {"physfn": physfn, "creatable_types": dict(creatable or {}), "current_type": current,
            "pci": {"vendor_id": "10de", "device_id": device_id, "subsystem_vendor_id": "10de",
                    "subsystem_device_id": "1626", "revision": "a1"},
            "numa_node": 0, "driver": "nvidia", "driver_version": driver_version}
