# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Gathering of mdev facts from a host root and its sysfs tree (PRIVATE to the collection).

Read-only: every access goes through ``_sysfs.Sysfs.read``/``listdir``/``link_name``. Each
attribute that cannot be read is recorded in ``errors`` and the scan goes on.

Here: the facts' layout (``SCHEMA_VERSION``), the subsets (``resolve_subset``), the mdev parents,
types, devices and their migration versions, and ``gather_facts``, the entry point of the module.
The recording readers are in ``_facts_reader``, the host identity in ``_facts_host``, the
vendor-VFIO functions in ``_facts_vendor_vfio``, the VMs (libvirt) in ``_facts_libvirt`` and
mdevctl's definitions in ``_facts_mdevctl``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import fnmatch
import os

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import (
    EBADVERSION,
    UNSUPPORTED_READ_ERRNOS,
    VERSION_ATTRIBUTES,
    version_problem,
)
from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts_host import host_identity
from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts_libvirt import DEFAULT_URI, LibvirtReader, attach_domains
from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts_mdevctl import read_definitions
from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts_vendor_vfio import VendorVfioReader
from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs, SysfsError

# 2: host_root, sources, gathered_at, boot_id, machine_id, subsystem, driver_module and
# driver_in_tree added; vendor_vfio current_type 0 means free and null unreadable; a version
# attribute that fails to read with an errno other than ENODEV/EOPNOTSUPP has supported null.
SCHEMA_VERSION = 2

SUBSETS = ("types", "devices", "versions", "pci", "vendor_vfio", "libvirt", "mdevctl")


class SubsetError(ValueError):
    pass


def resolve_subset(requested):
    """Turn ``gather_subset`` (``all``, names, ``!name``, ``!all``) into the subsets to gather.

    As Ansible's own gather_subset: names add, ``!name`` removes, ``all`` adds every subset,
    ``!all`` starts from nothing (so ``[!all]`` gathers nothing optional and ``[!all, types]``
    only types). Only a list whose items are all negations of names (not ``!all``) starts from
    everything; None means ``[all]``, an empty list nothing optional. Resolving a resolved list
    gives it back.
    """
    chosen = set()
    excluded = set()
    not_all = False
    for item in ["all"] if requested is None else requested:
        if not isinstance(item, str):
            raise SubsetError("gather_subset: item %r is not a string" % (item,))
        negate = item.startswith("!")
        name = item[1:] if negate else item
        if name == "all":
            if negate:
                not_all = True
            else:
                chosen.update(SUBSETS)
        elif name in SUBSETS:
            (excluded if negate else chosen).add(name)
        else:
            raise SubsetError(
                "gather_subset: unknown subset %r; valid subsets are all, %s (each may be negated with '!')"
                % (item, ", ".join(SUBSETS))
            )
    if not chosen and excluded and not not_all:
        # Only negations of names given: start from everything, as Ansible's gather_subset does.
        chosen = set(SUBSETS)
    return sorted(chosen - excluded)


def utc_now():
    """Now in UTC as ISO 8601 with seconds and ``Z``: ``2026-11-27T17:40:05Z``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FactGatherer(VendorVfioReader):
    """One scan of one host: its sysfs tree and the identity files of its root."""

    def __init__(self, root="/sys", subset=None, parent_patterns=None, host_root=None, libvirt=None, mdevctl_dir=None):
        super().__init__(root, host_root)
        self.subset = set(resolve_subset(subset))
        self.parent_patterns = list(parent_patterns or [])
        self.libvirt = libvirt              # a _facts_libvirt.LibvirtReader
        self.mdevctl_dir = mdevctl_dir      # mdevctl's configuration directory, None: not read

    def migration_record(self, src):
        """``{attribute, version, supported, errno}`` for the version attribute in ``src`` (a
        ``SysfsDir``).

        - the attribute reads and holds a valid version: ``supported`` true;
        - the read fails with an errno the RFC gives for "migration unsupported" (ENODEV,
          EOPNOTSUPP): ``supported`` false, that ``errno``, no error recorded;
        - no attribute: ``attribute``, ``supported`` and ``errno`` null;
        - any other read failure (EIO, EACCES, EILSEQ, EOVERFLOW ...), or a value that the probe
          would refuse to write (version_problem): ``version`` and ``supported`` null, ``errno``
          set, and the error recorded: nothing is known about support.
        """
        for attribute in VERSION_ATTRIBUTES:
            value, err = src.read(attribute)
            if err is not None and err.errno == "ENOENT":
                continue        # no such attribute (or gone since listing): try the next name
            if err is None:
                problem = version_problem(value)
                if problem is None:
                    return {"attribute": attribute, "version": value, "supported": True, "errno": None}
                err = SysfsError(src.abspath(attribute), EBADVERSION,
                                 "value %r %s, so it is not a migration version" % (value[:80], problem))
            if err.errno in UNSUPPORTED_READ_ERRNOS:
                return {"attribute": attribute, "version": None, "supported": False, "errno": err.errno}
            self._record(err)
            return {"attribute": attribute, "version": None, "supported": None, "errno": err.errno}
        return {"attribute": None, "version": None, "supported": None, "errno": None}

    # -- parts -----------------------------------------------------------------------------

    def parent_selected(self, name):
        return not self.parent_patterns or any(fnmatch.fnmatchcase(name, p) for p in self.parent_patterns)

    def gather_parent(self, name):
        device_dir = self._follow(os.path.join("class", "mdev_bus", name))
        if device_dir is None:
            return None
        bus = None
        subsystem, err = self.fs.resolve(os.path.join(device_dir, "subsystem"))
        if err is None and os.path.dirname(subsystem) == "bus" and self.fs.exists(subsystem):
            bus = os.path.basename(subsystem)
        driver = self._link(os.path.join(device_dir, "driver"))
        parent = {
            "bus": bus,
            "subsystem": self.subsystem(device_dir),
            "driver": driver,
        }
        parent.update(self.module_info(device_dir, driver))
        parent.update({"pci": None, "numa_node": None, "types": {}})
        if "pci" in self.subset:
            if bus == "pci":
                parent["pci"] = self.pci_identity(device_dir)
            parent["numa_node"] = self._read_int(os.path.join(device_dir, "numa_node"), optional=True, signed=True)
        if "types" in self.subset:
            types_dir = os.path.join(device_dir, "mdev_supported_types")
            for type_id in self._list(types_dir):
                parent["types"][type_id] = self.gather_type(os.path.join(types_dir, type_id))
        return parent

    def gather_type(self, type_dir):
        # One directory descriptor for all of a type's entries: a host has thousands of types.
        with self.fs.opendir(type_dir) as src:
            info = {
                "name": self._read("name", optional=True, src=src),
                "description": self._read("description", optional=True, src=src),
                "device_api": self._read("device_api", src=src),
                "available_instances": self._read_int("available_instances", src=src),
                "devices": self._list("devices", src),
            }
            if "versions" in self.subset:
                info["migration"] = self.migration_record(src)
        return info

    def gather_device(self, uuid):
        device_dir = self._follow(os.path.join("bus", "mdev", "devices", uuid))
        if device_dir is None:
            return None
        device = {
            "parent": os.path.basename(os.path.dirname(device_dir)),
            "type_id": self._link(os.path.join(device_dir, "mdev_type"), required=True),
        }
        if "versions" in self.subset:
            with self.fs.opendir(device_dir) as src:
                device["migration"] = self.migration_record(src)
        return device

    def gather(self):
        gathered_at = utc_now()
        identity, sources = host_identity(self.host, self._record)
        parents = {}
        for name in self._list(os.path.join("class", "mdev_bus")):
            if self.parent_selected(name):
                parent = self.gather_parent(name)
                if parent is not None:
                    parents[name] = parent
        devices = {}
        if "devices" in self.subset:
            for uuid in self._list(os.path.join("bus", "mdev", "devices")):
                device = self.gather_device(uuid)
                if device is not None and self.parent_selected(device["parent"]):
                    devices[uuid] = device
        sources["sysfs_root"] = self.fs.root
        vendor_vfio = self.gather_vendor_vfio("pci" in self.subset) if "vendor_vfio" in self.subset else {}
        libvirt, domains = None, {}
        if "libvirt" in self.subset and self.libvirt is not None:
            libvirt, domains = self.libvirt.read(sorted(vendor_vfio) if "vendor_vfio" in self.subset else None)
            self.errors.extend(self.libvirt.errors)
            if libvirt["available"]:
                attach_domains(devices, domains)
        mdevctl, defined = None, {}
        if "mdevctl" in self.subset and self.mdevctl_dir is not None:
            mdevctl, defined = read_definitions(Sysfs(self.mdevctl_dir), self.fs, self._record)
        facts = {
            "schema_version": SCHEMA_VERSION,
            "gathered_at": gathered_at,
            "host_root": self.host.root if self.host is not None else None,
            "sysfs_root": self.fs.root,
            "kernel_release": identity["kernel_release"],
            "boot_id": identity["boot_id"],
            "machine_id": identity["machine_id"],
            "sources": sources,
            "gather_subset": sorted(self.subset),
            "parents": parents,
            "devices": devices,
            "vendor_vfio": vendor_vfio,
            "libvirt": libvirt,
            "domains": domains,
            "mdevctl": mdevctl,
            "defined": defined,
            "errors": self.errors,
        }
        return facts


def default_sysfs_root(host_root):
    """``<host_root>/sys``."""
    return os.path.join(host_root or "/", "sys")


def default_mdevctl_dir(host_root):
    """``<host_root>/etc/mdevctl.d``, or None for a scan of a sysfs tree alone."""
    return None if host_root is None else os.path.join(host_root, "etc", "mdevctl.d")


def gather_facts(root=None, subset=None, parent_patterns=None, host_root="/", libvirt_uri=DEFAULT_URI, virsh=None,
                 run=None, mdevctl_dir=None):
    """Facts of the host at ``host_root``, its sysfs read at ``root`` (default ``<host_root>/sys``).

    ``host_root=None`` scans a sysfs tree alone: no identity files, the running kernel's release,
    no mdevctl definitions unless ``mdevctl_dir`` is given. The VMs are read from ``libvirt_uri``
    with ``virsh`` (its path; None when it is not installed), run by ``run``
    (AnsibleModule.run_command, or a callable with its signature and result).
    """
    if root is None:
        root = default_sysfs_root(host_root)
    if mdevctl_dir is None:
        mdevctl_dir = default_mdevctl_dir(host_root)
    return FactGatherer(root, subset, parent_patterns, host_root, LibvirtReader(libvirt_uri, virsh, run),
                        mdevctl_dir).gather()
