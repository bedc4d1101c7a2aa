# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Gathering of mdev facts from a host root and its sysfs tree (PRIVATE to the collection).

Read-only: every access goes through ``_sysfs.Sysfs.read``/``listdir``/``link_name``. Each
attribute that cannot be read is recorded in ``errors`` and the scan goes on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import fnmatch
import os
import platform
import re

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import (
    EBADVERSION,
    UNSUPPORTED_READ_ERRNOS,
    VERSION_ATTRIBUTES,
    version_problem,
)
from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs, SysfsError

# 2: host_root, sources, gathered_at, boot_id, machine_id, subsystem, driver_module and
# driver_in_tree added; vendor_vfio current_type 0 means free and null unreadable; a version
# attribute that fails to read with an errno other than ENODEV/EOPNOTSUPP has supported null.
SCHEMA_VERSION = 2

SUBSETS = ("types", "devices", "versions", "pci", "vendor_vfio")

# Files of the host root (not sysfs) read for the host's identity: relative to host_root.
OSRELEASE = "proc/sys/kernel/osrelease"
BOOT_ID = "proc/sys/kernel/random/boot_id"
MACHINE_ID = "etc/machine-id"
UNAME = "uname"     # the source of a kernel release taken from uname(2) (host_root / only)

_CREATABLE_LINE = re.compile(r"\s*([0-9]{1,10})\s*:\s*(.*?)\s*\Z", re.ASCII)
_BOOT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_MACHINE_ID = re.compile(r"[0-9a-f]{32}\Z")
_RELEASE = re.compile(r"[!-~]{1,64}\Z")

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


def hex_id(text):
    """``0x10DE`` -> ``10de``: PCI ids as lower-case hex without prefix."""
    text = text.strip().lower()
    return text[2:] if text.startswith("0x") else text


def utc_now():
    """Now in UTC as ISO 8601 with seconds and ``Z``: ``2026-11-27T17:40:05Z``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FactGatherer:
    """One scan of one host: its sysfs tree and the identity files of its root."""

    def __init__(self, root="/sys", subset=None, parent_patterns=None, host_root=None):
        self.fs = Sysfs(root)
        # host_root None: a scan of a sysfs tree alone (no identity files read).
        self.host = Sysfs(host_root) if host_root is not None else None
        self.subset = set(resolve_subset(subset))
        self.parent_patterns = list(parent_patterns or [])
        self.errors = []
        self._modules = {}

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

    def _read_int(self, relpath, optional=False, signed=False):
        return self._read(relpath, optional, lambda p: self.fs.read_int(p, signed=signed))

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

        - the attribute reads and holds a valid version: ``supported`` true;
        - the read fails with an errno the RFC gives for "migration unsupported" (ENODEV,
          EOPNOTSUPP): ``supported`` false, that ``errno``, no error recorded;
        - no attribute: ``attribute``, ``supported`` and ``errno`` null;
        - any other read failure (EIO, EACCES, EILSEQ, EOVERFLOW ...), or a value that the probe
          would refuse to write (version_problem): ``version`` and ``supported`` null, ``errno``
          set, and the error recorded: nothing is known about support.
        """
        for attribute in VERSION_ATTRIBUTES:
            path = os.path.join(relpath, attribute)
            value, err = self.fs.read(path)
            if err is not None and err.errno == "ENOENT":
                continue        # no such attribute (or gone since listing): try the next name
            if err is None:
                problem = version_problem(value)
                if problem is None:
                    return {"attribute": attribute, "version": value, "supported": True, "errno": None}
                err = SysfsError(self.fs.abspath(path), EBADVERSION,
                                 "value %r %s, so it is not a migration version" % (value[:80], problem))
            if err.errno in UNSUPPORTED_READ_ERRNOS:
                return {"attribute": attribute, "version": None, "supported": False, "errno": err.errno}
            self._record(err)
            return {"attribute": attribute, "version": None, "supported": None, "errno": err.errno}
        return {"attribute": None, "version": None, "supported": None, "errno": None}

    def module_info(self, device_dir, driver):
        """``{driver_module, driver_version, driver_in_tree}`` of the module behind ``driver``.

        The module is the target of ``<device>/driver/module``; without that link (a driver
        whose module has no link), ``module/<driver>`` when it exists. ``driver_in_tree`` is
        true when ``module/<module>/taint`` reads without ``O`` (out-of-tree), false when it
        has ``O``, null when it cannot be read (recorded unless absent).
        """
        info = {"driver_module": None, "driver_version": None, "driver_in_tree": None}
        if not driver:
            return info
        link = os.path.join(device_dir, "driver", "module")
        module = self._link(link)
        if module is None and not self.fs.is_link(link) and self.fs.exists(os.path.join("module", driver)):
            module = driver
        if module is None:
            return info
        if module not in self._modules:
            taint = self._read(os.path.join("module", module, "taint"), optional=True)
            self._modules[module] = {
                "driver_module": module,
                "driver_version": self._read(os.path.join("module", module, "version"), optional=True),
                "driver_in_tree": None if taint is None else "O" not in taint,
            }
        return dict(self._modules[module])

    def subsystem(self, device_dir):
        """Base name of the ``subsystem`` link's target (``pci``, ``mtty``), or None (recorded)."""
        return self._link(os.path.join(device_dir, "subsystem"), required=True)

    def pci_identity(self, device_dir):
        ident = {}
        for key, name in PCI_ID_FILES:
            value = self._read(os.path.join(device_dir, name))
            ident[key] = hex_id(value) if value is not None else None
        return ident

    # -- host identity ---------------------------------------------------------------------

    def _host_file(self, relpath, pattern, what):
        """``(value, path)`` of one identity file of the host root; None (recorded) when unreadable
        or not of the expected form."""
        path = self.host.abspath(relpath)
        value, err = self.host.read(relpath)
        if err is None:
            value = value.strip()
            if pattern.match(value):
                return value, path
            err = SysfsError(path, "EINVAL", "value %r is not %s" % (value[:80], what))
        self._record(err)
        return None, path

    def host_identity(self):
        """kernel_release, boot_id, machine_id and where each was read from."""
        if self.host is None:
            return {"kernel_release": platform.release(), "boot_id": None, "machine_id": None}, {
                "kernel_release": UNAME, "boot_id": None, "machine_id": None}
        facts, sources = {}, {}
        if self.host.root == "/":
            # The running kernel: the file, or uname(2) when /proc is not readable.
            value, err = self.host.read(OSRELEASE)
            if err is None and _RELEASE.match(value.strip()):
                facts["kernel_release"], sources["kernel_release"] = value.strip(), self.host.abspath(OSRELEASE)
            else:
                facts["kernel_release"], sources["kernel_release"] = platform.release(), UNAME
        else:
            facts["kernel_release"], sources["kernel_release"] = self._host_file(
                OSRELEASE, _RELEASE, "a kernel release")
        facts["boot_id"], sources["boot_id"] = self._host_file(BOOT_ID, _BOOT_ID, "a boot id (a lower-case UUID)")
        facts["machine_id"], sources["machine_id"] = self._host_file(
            MACHINE_ID, _MACHINE_ID, "a machine id (32 lower-case hexadecimal digits)")
        return facts, sources

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
            # One read tells both whether this is a vendor-VFIO VF (ENOENT: it is not) and its
            # type: 0 no vGPU in use, null unreadable (recorded), never "free" by default.
            current, err = self.fs.read_int(os.path.join(dev, "nvidia", "current_vgpu_type"))
            if err is not None and err.errno == "ENOENT":
                continue
            self._record(err)
            vf = {
                "physfn": None,
                "creatable_types": self.creatable_types(os.path.join(dev, "nvidia", "creatable_vgpu_types")),
                "current_type": current,
                "pci": None, "numa_node": None, "subsystem": None, "driver": None, "driver_module": None,
                "driver_version": None, "driver_in_tree": None,
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
            vf["subsystem"] = self.subsystem(gpu_dir)
            vf["driver"] = self._link(os.path.join(gpu_dir, "driver"))
            vf.update(self.module_info(gpu_dir, vf["driver"]))
            if "pci" in self.subset:
                vf["pci"] = self.pci_identity(gpu_dir)
                vf["numa_node"] = self._read_int(os.path.join(gpu_dir, "numa_node"), optional=True, signed=True)
        return vfs

    def creatable_types(self, relpath):
        """Parse ``nvidia/creatable_vgpu_types``: a header, then ``<id> : <profile>`` lines.

        Ids are ASCII decimal digits only: digits of other scripts are not ids.
        """
        text = self._read(relpath)
        types = {}
        for line in (text or "").splitlines():
            match = _CREATABLE_LINE.match(line)
            if match:
                types[str(int(match.group(1)))] = match.group(2)
        return types

    def gather(self):
        gathered_at = utc_now()
        identity, sources = self.host_identity()
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
            "vendor_vfio": self.gather_vendor_vfio() if "vendor_vfio" in self.subset else {},
            "errors": self.errors,
        }
        return facts


def default_sysfs_root(host_root):
    """``<host_root>/sys``."""
    return os.path.join(host_root or "/", "sys")


def gather_facts(root=None, subset=None, parent_patterns=None, host_root="/"):
    """Facts of the host at ``host_root``, its sysfs read at ``root`` (default ``<host_root>/sys``).

    ``host_root=None`` scans a sysfs tree alone: no identity files, the running kernel's release.
    """
    if root is None:
        root = default_sysfs_root(host_root)
    return FactGatherer(root, subset, parent_patterns, host_root).gather()
