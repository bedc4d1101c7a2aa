# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Gathering of mdev facts from a sysfs tree (PRIVATE to the collection).

Read-only: every access goes through ``_sysfs.Sysfs.read``/``listdir``/``link_name``. Each
attribute that cannot be read is recorded in ``errors`` and the scan goes on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import os
import platform
import re

from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs, SysfsError

SCHEMA_VERSION = 1

SUBSETS = ("types", "devices", "versions", "pci", "vendor_vfio")

# Compatibility attributes in order of preference: the v3+ name first, then the v1/v2 name.
VERSION_ATTRIBUTES = ("migration_version", "version")

# A read errno that the RFC defines as "this type does not support migration" rather than a
# failure to look at the host. Other errnos also mean "unsupported" for the verdict, but are
# reported in ``errors`` because they may be the host's fault (EIO) or ours (EACCES).
UNSUPPORTED_READ_ERRNOS = ("ENODEV", "EOPNOTSUPP")

_CREATABLE_LINE = re.compile(r"^\s*(\d+)\s*:\s*(.*?)\s*$")

PCI_ID_FILES = (
    ("vendor_id", "vendor"),
    ("device_id", "device"),
    ("subsystem_vendor_id", "subsystem_vendor"),
    ("subsystem_device_id", "subsystem_device"),
    ("revision", "revision"),
)


class SubsetError(ValueError):
    pass


def resolve_subset(requested):
    """Turn ``gather_subset`` (``all``, names, ``!name``) into the set of subsets to gather."""
    chosen = set()
    excluded = set()
    for item in requested or ["all"]:
        item = str(item)
        negate = item.startswith("!")
        name = item[1:] if negate else item
        if name == "all":
            (excluded if negate else chosen).update(SUBSETS)
        elif name in SUBSETS:
            (excluded if negate else chosen).add(name)
        else:
            raise SubsetError(
                "gather_subset: unknown subset %r; valid subsets are all, %s (each may be negated with '!')"
                % (item, ", ".join(SUBSETS))
            )
    if not chosen and excluded:
        # Only negations given: start from everything, as Ansible's own gather_subset does.
        chosen = set(SUBSETS)
    return sorted(chosen - excluded)


def hex_id(text):
    """``0x10DE`` -> ``10de``: PCI ids as lower-case hex without prefix."""
    text = text.strip().lower()
    return text[2:] if text.startswith("0x") else text


class FactGatherer:
    """One scan of one sysfs tree."""

    def __init__(self, root="/sys", subset=None, parent_patterns=None):
        self.fs = Sysfs(root)
        self.subset = set(resolve_subset(subset))
        self.parent_patterns = list(parent_patterns or [])
        self.errors = []
        self._driver_versions = {}

    # -- helpers ---------------------------------------------------------------------------

    def _record(self, err):
        if err is not None:
            self.errors.append(err.as_dict())

    def _read(self, relpath, optional=False, reader=None):
        """Read an attribute; an absent optional attribute is None without an error."""
        value, err = (reader or self.fs.read)(relpath)
        if err is not None and not (optional and err.errno == "ENOENT"):
            self._record(err)
        return value

    def _read_int(self, relpath, optional=False):
        return self._read(relpath, optional, self.fs.read_int)

    def _link(self, relpath, required=False):
        """Base name of a link's target; a required link that is missing is an error."""
        name, err = self.fs.link_name(relpath)
        if name is None and err is None and required:
            err = SysfsError(self.fs.abspath(relpath), "ENOENT", "missing link")
        self._record(err)
        return name

    def _list(self, relpath):
        names, err = self.fs.listdir(relpath)
        self._record(err)
        return names or []

    def migration_record(self, relpath):
        """``{attribute, version, supported, errno}`` for the version attribute in ``relpath``.

        ``supported`` is True when the attribute reads, False when the read fails (the RFC's
        "errno on read means migration unsupported"), None when no attribute exists.
        """
        for attribute in VERSION_ATTRIBUTES:
            value, err = self.fs.read(os.path.join(relpath, attribute))
            if err is not None and err.errno == "ENOENT":
                continue        # no such attribute (or gone since listing): try the next name
            if err is None:
                return {"attribute": attribute, "version": value, "supported": True, "errno": None}
            if err.errno not in UNSUPPORTED_READ_ERRNOS:
                self._record(err)
            return {"attribute": attribute, "version": None, "supported": False, "errno": err.errno}
        return {"attribute": None, "version": None, "supported": None, "errno": None}

    def driver_version(self, device_dir, driver):
        """Version of the kernel module behind ``driver`` (``module/<mod>/version``), or None."""
        module = self._link(os.path.join(device_dir, "driver", "module")) or driver
        if not module:
            return None
        if module not in self._driver_versions:
            self._driver_versions[module] = self._read(os.path.join("module", module, "version"), optional=True)
        return self._driver_versions[module]

    def pci_identity(self, device_dir):
        ident = {}
        for key, name in PCI_ID_FILES:
            value = self._read(os.path.join(device_dir, name))
            ident[key] = hex_id(value) if value is not None else None
        return ident

    def kernel_release(self):
        # The kernel release is not in sysfs. A simulated tree may carry it in
        # <root>/kernel/osrelease (no real kernel has that file); otherwise it is the
        # running kernel's, as /proc/sys/kernel/osrelease would say.
        if self.fs.root != "/sys":
            value, err = self.fs.read("kernel/osrelease")
            if err is None or err.errno != "ENOENT":
                self._record(err)
                return value
        return platform.release()

    # -- parts -----------------------------------------------------------------------------

    def parent_selected(self, name):
        return not self.parent_patterns or any(fnmatch.fnmatchcase(name, p) for p in self.parent_patterns)

    def _follow(self, link):
        """Resolved relative path of a device link, or None (recorded) when it dangles, escapes,
        or was listed and is gone."""
        err = self.fs.link_name(link)[1]
        if err is None:
            device_dir, err = self.fs.resolve(link)
        if err is None and not self.fs.exists(device_dir):
            err = SysfsError(self.fs.abspath(link), "ENOENT", "listed, but no longer exists")
        if err is not None:
            self._record(err)
            return None
        return device_dir

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
            "driver": driver,
            "driver_version": self.driver_version(device_dir, driver),
            "pci": None,
            "numa_node": None,
            "types": {},
        }
        if "pci" in self.subset:
            if bus == "pci":
                parent["pci"] = self.pci_identity(device_dir)
            parent["numa_node"] = self._read_int(os.path.join(device_dir, "numa_node"), optional=True)
        if "types" in self.subset:
            types_dir = os.path.join(device_dir, "mdev_supported_types")
            for type_id in self._list(types_dir):
                parent["types"][type_id] = self.gather_type(os.path.join(types_dir, type_id))
        return parent

    def gather_type(self, type_dir):
        info = {
            "name": self._read(os.path.join(type_dir, "name"), optional=True),
            "description": self._read(os.path.join(type_dir, "description"), optional=True),
            "device_api": self._read(os.path.join(type_dir, "device_api")),
            "available_instances": self._read_int(os.path.join(type_dir, "available_instances")),
            "devices": self._list(os.path.join(type_dir, "devices")),
        }
        if "versions" in self.subset:
            info["migration"] = self.migration_record(type_dir)
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
            device["migration"] = self.migration_record(device_dir)
        return device

    def gather_vendor_vfio(self):
        vfs = {}
        pci_dir = os.path.join("bus", "pci", "devices")
        for address in self._list(pci_dir):
            dev = os.path.join(pci_dir, address)
            # One read tells both whether this is a vendor-VFIO VF (ENOENT: it is not) and its type.
            current, err = self.fs.read_int(os.path.join(dev, "nvidia", "current_vgpu_type"))
            if err is not None and err.errno == "ENOENT":
                continue
            self._record(err)
            vf = {
                "physfn": None,
                "creatable_types": self.creatable_types(os.path.join(dev, "nvidia", "creatable_vgpu_types")),
                "current_type": current if current else None,
                "pci": None, "numa_node": None, "driver": None, "driver_version": None,
            }
            vfs[address] = vf
            # The GPU's identity comes from the physical function; a VF whose physfn link is
            # broken has no known GPU identity, rather than its own ids passed off as the board's.
            physfn_link = os.path.join(dev, "physfn")
            if self.fs.is_link(physfn_link):
                gpu_dir = self._follow(physfn_link)
                if gpu_dir is None:
                    continue
                vf["physfn"] = os.path.basename(gpu_dir)
            else:
                gpu_dir = self._follow(dev)     # no physfn: the device is the GPU itself
                if gpu_dir is None:
                    continue
            vf["driver"] = self._link(os.path.join(gpu_dir, "driver"))
            vf["driver_version"] = self.driver_version(gpu_dir, vf["driver"])
            if "pci" in self.subset:
                vf["pci"] = self.pci_identity(gpu_dir)
                vf["numa_node"] = self._read_int(os.path.join(gpu_dir, "numa_node"), optional=True)
        return vfs

    def creatable_types(self, relpath):
        """Parse ``nvidia/creatable_vgpu_types``: a header, then ``<id> : <profile>`` lines."""
        text = self._read(relpath)
        types = {}
        for line in (text or "").splitlines():
            match = _CREATABLE_LINE.match(line)
            if match:
                types[str(int(match.group(1)))] = match.group(2)
        return types

    def gather(self):
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
        facts = {
            "schema_version": SCHEMA_VERSION,
            "sysfs_root": self.fs.root,
            "kernel_release": self.kernel_release(),
            "gather_subset": sorted(self.subset),
            "parents": parents,
            "devices": devices,
            "vendor_vfio": self.gather_vendor_vfio() if "vendor_vfio" in self.subset else {},
            "errors": self.errors,
        }
        return facts


def gather_facts(root="/sys", subset=None, parent_patterns=None):
    return FactGatherer(root, subset, parent_patterns).gather()
