# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Builders of sysfs-like trees in temporary directories, for the unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


class Link:
    def __init__(self, target):
        self.target = target


def build_tree(root, spec):
    """Create files (str or bytes), directories (None) and links (Link) under ``root``.

    Link targets are given relative to ``root`` and written as relative links, the way sysfs
    writes them, so that the tree stays valid wherever ``root`` is.
    """
    for rel, value in spec.items():
        path = os.path.join(str(root), rel)
        if value is None:
            os.makedirs(path, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(value, Link):
            target = value.target
            if not os.path.isabs(target):
                target = os.path.relpath(os.path.join(str(root), target), os.path.dirname(path))
            os.symlink(target, path)
        else:
            data = value if isinstance(value, bytes) else (value + "\n").encode("utf-8")
            with open(path, "wb") as handle:
                handle.write(data)
    return root


PCI = "devices/pci0000:00"


def pci_parent(bdf, vendor="10de", device="1eb8", sub_vendor="10de", sub_device="12a2", revision="a1",
               driver="nvidia", numa="0"):
    base = "%s/%s" % (PCI, bdf)
    spec = {
        "class/mdev_bus/%s" % bdf: Link(base),
        "bus/pci/devices/%s" % bdf: Link(base),
        base + "/subsystem": Link("bus/pci"),
        base + "/vendor": "0x" + vendor,
        base + "/device": "0x" + device,
        base + "/subsystem_vendor": "0x" + sub_vendor,
        base + "/subsystem_device": "0x" + sub_device,
        base + "/revision": "0x" + revision,
        base + "/numa_node": numa,
    }
    if driver:
        spec[base + "/driver"] = Link("bus/pci/drivers/%s" % driver)
        spec["bus/pci/drivers/%s/module" % driver] = Link("module/%s" % driver)
        spec["module/%s" % driver] = None
    return spec


def mdev_type(bdf, type_id, name, available, device_api="vfio-pci", description=None, version_attr=None,
              version=None, devices=()):
    base = "%s/%s/mdev_supported_types/%s" % (PCI, bdf, type_id)
    spec = {
        base + "/name": name,
        base + "/device_api": device_api,
        base + "/available_instances": str(available),
        base + "/devices": None,
    }
    if description is not None:
        spec[base + "/description"] = description
    if version_attr:
        spec[base + "/" + version_attr] = version
    for uuid in devices:
        dev = "%s/%s/%s" % (PCI, bdf, uuid)
        spec[base + "/devices/" + uuid] = Link(dev)
        spec["bus/mdev/devices/" + uuid] = Link(dev)
        spec[dev + "/mdev_type"] = Link(base)
    return spec


BOOT_ID = "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"
MACHINE_ID = "0f6c2b5e9d8a4b7c8e1f2a3b4c5d6e7f"
RELEASE = "6.8.0-51-generic"


def build_host(root, sysfs_spec, osrelease=RELEASE, boot_id=BOOT_ID, machine_id=MACHINE_ID, extra=None):
    """A host root: ``sysfs_spec`` under ``sys/``, and the identity files (None leaves one out).

    Returns the host root as a string.
    """
    spec = {"sys": None}
    for rel, value in sysfs_spec.items():
        if isinstance(value, Link) and not os.path.isabs(value.target):
            value = Link("sys/" + value.target)
        spec["sys/" + rel] = value
    for rel, value in (("proc/sys/kernel/osrelease", osrelease), ("proc/sys/kernel/random/boot_id", boot_id),
                       ("etc/machine-id", machine_id)):
        if value is not None:
            spec[rel] = value
    spec.update(extra or {})
    build_tree(root, spec)
    return str(root)
