# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The host root and sysfs root shared by the modules that run on a host.

    This doc fragment is PRIVATE to the collection; it may change without notice.
    """

    DOCUMENTATION = r"""
options:
  host_root:
    description:
      - Root of the host, like mdevctl's environment root; sysfs is at C(<host_root>/sys) unless O(sysfs_root) is given.
      - M(vfio.mdev_migration.mdev_facts) also reads the host's identity under it - the kernel release from
        C(<host_root>/proc/sys/kernel/osrelease), the boot id from C(<host_root>/proc/sys/kernel/random/boot_id), the
        machine identity from C(<host_root>/etc/machine-id). Only with the default V(/) may the kernel release fall
        back to C(uname(2)) when the file cannot be read.
      - Point it at a simulated host (see the collection's simulator; its inventory sets C(host_root) per host) to
        work without hardware.
    type: path
    default: /
  sysfs_root:
    description:
      - Root of the sysfs tree; defaults to C(<host_root>/sys). Every path read or written is under it, and a link that
        resolves outside it is refused (M(vfio.mdev_migration.mdev_facts) reports it in C(ansible_facts.mdev.errors)).
    type: path
"""
