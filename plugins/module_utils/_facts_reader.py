# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read-only access to a sysfs tree that records failures and goes on (PRIVATE to the collection).

``SysfsReader`` is the base of the fact gatherers: every read goes through
``_sysfs.Sysfs.read``/``listdir``/``link_name``; each attribute or link that cannot be read is
appended to ``errors`` (``SysfsError.as_dict()``) and the reader returns None (or an empty list)
instead of raising. It also holds the readers shared by mdev parents and vendor-VFIO functions:
a device's subsystem, its driver's module (cached per module), its PCI ids. Nothing is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs, SysfsError

PCI_ID_FILES = (
    ("vendor_id", "vendor"),
    ("device_id", "device"),
    ("subsystem_vendor_id", "subsystem_vendor"),
    ("subsystem_device_id", "subsystem_device"),
    ("revision", "revision"),
)


def hex_id(text):
    """``0x10DE`` -> ``10de``: PCI ids as lower-case hex without prefix."""
    text = text.strip().lower()
    return text[2:] if text.startswith("0x") else text


class SysfsReader:
    """Reads of one sysfs tree at ``root`` and, unless ``host_root`` is None, of the host root."""

    def __init__(self, root="/sys", host_root=None):
        self.fs = Sysfs(root)
        # host_root None: a scan of a sysfs tree alone (no identity files read).
        self.host = Sysfs(host_root) if host_root is not None else None
        self.errors = []
        self._modules = {}

    # -- helpers ---------------------------------------------------------------------------

    def _record(self, err):
        if err is not None:
            self.errors.append(err.as_dict())

    def _read(self, relpath, optional=False, src=None):
        """Read an attribute; an absent optional attribute is None without an error.

        ``src`` is where ``relpath`` is: the tree (default), or a ``SysfsDir`` and a name in it.
        """
        return self._kept((src or self.fs).read(relpath), optional)

    def _read_int(self, relpath, optional=False, signed=False, src=None):
        return self._kept((src or self.fs).read_int(relpath, signed=signed), optional)

    def _kept(self, result, optional):
        value, err = result
        if err is not None and not (optional and err.errno == "ENOENT"):
            self._record(err)
        return value

    def _link(self, relpath, required=False):
        """Base name of a link's target; a required link that is missing is an error."""
        name, err = self.fs.link_name(relpath)
        if name is None and err is None and required:
            err = SysfsError(self.fs.abspath(relpath), "ENOENT", "missing link")
        self._record(err)
        return name

    def _list(self, relpath, src=None):
        names, err = (src or self.fs).listdir(relpath)
        self._record(err)
        return names or []

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
