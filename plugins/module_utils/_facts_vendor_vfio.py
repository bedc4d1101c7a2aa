# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Facts of vendor-VFIO vGPU functions (NVIDIA's ``nvidia/`` sysfs interface) (PRIVATE to the
collection).

A PCI function with ``nvidia/current_vgpu_type`` is a vendor-VFIO virtual function:
``VendorVfioReader.gather_vendor_vfio`` returns, per VF address, its ``current_type`` (0 no vGPU
in use, None unreadable), its ``creatable_types`` and the identity of the GPU behind it (taken from
the physical function; unknown when the ``physfn`` link is broken). Read-only; failures are
recorded in ``errors`` as by ``_facts_reader.SysfsReader``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts_reader import SysfsReader

_CREATABLE_LINE = re.compile(r"\s*([0-9]{1,10})\s*:\s*(.*?)\s*\Z", re.ASCII)


class VendorVfioReader(SysfsReader):
    """A ``SysfsReader`` that also reads vendor-VFIO functions."""

    def gather_vendor_vfio(self, with_pci=True):
        """``{VF address: facts}`` of the vendor-VFIO functions under ``bus/pci/devices``; PCI ids and
        NUMA node of each GPU only ``with_pci``."""
        vfs = {}
        pci_dir = os.path.join("bus", "pci", "devices")
        for address in self._list(pci_dir):
            dev = os.path.join(pci_dir, address)
            # One read tells both whether this is a vendor-VFIO VF (ENOENT: it is not) and which
            # vGPU type it runs: 0 none in use, null unreadable (recorded), never "free" by default.
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
            if with_pci:
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
