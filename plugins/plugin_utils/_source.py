# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The source of a migration, described once (PRIVATE to the collection).

Contract: a source is a plain dict with ``kind`` (mdev or vendor_vfio), ``host``, ``device``,
``type_id``, the identity facts the pair rule compares (``device_api``, ``subsystem``, ``pci``,
``driver``, ``driver_version``, ``driver_in_tree``, ``kernel_release``), the type-level and
device-level migration records, and the source host's ``machine_id``/``boot_id`` (to spot the
same machine under another inventory name). Built from a host's facts or from a user's
description; raises PolicyInputError naming what is wrong.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import is_int, version_problem
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _facts_shape as shape
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import (
    KIND_MDEV,
    KIND_VENDOR_VFIO,
    NO_FACTS,
    PolicyInputError,
)

IDENTITY_KEYS = ("device_api", "subsystem", "pci", "driver", "driver_version", "driver_in_tree", "kernel_release",
                 "kind")


def _host_identity(facts, host):
    return {"host": host, "machine_id": facts.get("machine_id"), "boot_id": facts.get("boot_id"),
            "kernel_release": facts.get("kernel_release")}


def from_facts(facts, device, host=None, checked=False):
    """Describe ``device`` (an mdev UUID, or the PCI address of a vendor-VFIO VF) from its host's
    facts; ``checked``: the caller has found no ``host_problem`` in them (a host with many VMs
    is not walked again for each device)."""
    where = "source_host %s" % host if host else "source facts"
    if facts is None:
        raise PolicyInputError("%s: %s" % (where, NO_FACTS))
    problem = None if checked else shape.host_problem(facts)
    if problem:
        raise PolicyInputError("%s: malformed mdev facts: %s" % (where, problem))
    devices = facts.get("devices") or {}
    if device in devices:
        return _mdev_source(facts, device, devices[device], host, where)
    vfs = facts.get("vendor_vfio") or {}
    if device in vfs:
        return _vf_source(facts, device, vfs[device], host, where)
    raise PolicyInputError("device %r is neither an mdev UUID nor a vendor-VFIO VF in the facts of %s" % (device, where))


def _mdev_source(facts, uuid, dev, host, where):
    problem = shape.device_problem("devices.%s" % uuid, dev)
    if problem:
        raise PolicyInputError("%s: malformed mdev facts: %s" % (where, problem))
    parent = (facts.get("parents") or {}).get(dev["parent"])
    mtype = ((parent or {}).get("types") or {}).get(dev["type_id"])
    if mtype is None:
        raise PolicyInputError("%s: device %s is of type %s on parent %s, which the facts do not list (gathered "
                               "with a parents filter or gather_subset that left it out?)"
                               % (where, uuid, dev["type_id"], dev["parent"]))
    problem = shape.type_problem("parents.%s.types.%s" % (dev["parent"], dev["type_id"]), mtype)
    if problem:
        raise PolicyInputError("%s: malformed mdev facts: %s" % (where, problem))
    source = of_type(facts, host, dev["parent"], dev["type_id"])
    source.update(device=uuid, device_migration=dev.get("migration"))
    return source


def of_type(facts, host, parent_name, type_id):
    """A source that is any device of mdev ``type_id`` on ``parent_name`` (facts already checked)."""
    parent = facts["parents"][parent_name]
    mtype = parent["types"][type_id]
    source = _host_identity(facts, host)
    source.update({
        "kind": KIND_MDEV,
        "device": None,
        "parent": parent_name,
        "type_id": type_id,
        "device_api": mtype.get("device_api"),
        "migration": mtype.get("migration"),
        "device_migration": None,
        "subsystem": parent.get("subsystem"),
        "bus": parent.get("bus"),
        "pci": parent.get("pci"),
        "driver": parent.get("driver"),
        "driver_version": parent.get("driver_version"),
        "driver_in_tree": parent.get("driver_in_tree"),
    })
    return source


def _vf_source(facts, address, vf, host, where):
    problem = shape.vf_problem("vendor_vfio.%s" % address, vf)
    if problem:
        raise PolicyInputError("%s: malformed mdev facts: %s" % (where, problem))
    current = vf.get("current_type")
    if not is_int(current):
        raise PolicyInputError("device %s on %s is a vendor-VFIO VF whose vGPU type could not be read" % (address, where))
    if current == 0:
        raise PolicyInputError("device %s on %s is a vendor-VFIO VF with no vGPU type in use" % (address, where))
    source = of_gpu(facts, host, vf.get("physfn") or address, vf, str(current))
    source["device"] = address
    return source


def of_gpu(facts, host, physfn, vf, type_id):
    """A source that is any VF running vGPU ``type_id`` on the GPU that ``vf`` belongs to."""
    source = _host_identity(facts, host)
    source.update({
        "kind": KIND_VENDOR_VFIO,
        "device": None,
        "parent": physfn,
        "type_id": type_id,
        "device_api": "vfio-pci",
        "migration": None,
        "device_migration": None,
        "subsystem": "pci",
        "bus": "pci",
        "pci": vf.get("pci"),
        "driver": vf.get("driver"),
        "driver_version": vf.get("driver_version"),
        "driver_in_tree": vf.get("driver_in_tree"),
    })
    return source


def from_description(type_id, version=None, identity=None):
    """Describe a source from a type-id, a version and identity facts given by the user."""
    if not isinstance(type_id, str) or not type_id:
        raise PolicyInputError("type_id must be a non-empty string")
    identity = identity or {}
    if not isinstance(identity, Mapping):
        raise PolicyInputError("identity must be a dictionary")
    unknown = set(identity) - set(IDENTITY_KEYS)
    if unknown:
        raise PolicyInputError("identity has unknown keys %s; allowed are %s"
                               % (", ".join(sorted(unknown)), ", ".join(IDENTITY_KEYS)))
    kind = identity.get("kind", KIND_MDEV)
    if kind not in (KIND_MDEV, KIND_VENDOR_VFIO):
        raise PolicyInputError("identity.kind must be mdev or vendor_vfio")
    if version is not None:
        problem = version_problem(version)
        if problem:
            raise PolicyInputError("version %r is not a migration version: it %s" % (version, problem))
    pci = identity.get("pci")
    if pci is not None and not isinstance(pci, Mapping):
        raise PolicyInputError("identity.pci must be a dictionary of PCI ids")
    return {
        "kind": kind, "host": None, "machine_id": None, "boot_id": None, "device": None, "parent": None,
        "type_id": type_id,
        "device_api": identity.get("device_api", "vfio-pci" if kind == KIND_VENDOR_VFIO else None),
        "migration": {"attribute": "migration_version", "version": version, "supported": True, "errno": None}
        if version is not None else ({"attribute": None, "version": None, "supported": None, "errno": None}
                                     if kind == KIND_MDEV else None),
        "device_migration": None,
        "subsystem": identity.get("subsystem", "pci" if pci is not None else None),
        "bus": "pci" if pci is not None else None,
        "pci": pci,
        "driver": identity.get("driver"),
        "driver_version": identity.get("driver_version"),
        "driver_in_tree": identity.get("driver_in_tree"),
        "kernel_release": identity.get("kernel_release"),
    }


def versions_to_probe(source):
    """The source's published version strings: what a write probe must see accepted."""
    found = []
    for record in (source.get("migration"), source.get("device_migration")):
        state, version, _detail = shape.version_state(record)
        if state == shape.PUBLISHED and version not in found:
            found.append(version)
    return found
