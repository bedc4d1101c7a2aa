# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host's identity: kernel release, boot id, machine id and where each was read (PRIVATE to
the collection).

``host_identity(host, record)`` reads the identity files of a host root (``host``, a
``_sysfs.Sysfs`` rooted there, or None for a scan of a sysfs tree alone) and returns
``(facts, sources)``: ``facts`` maps kernel_release, boot_id and machine_id to a value or None,
``sources`` maps each to the absolute path it was read from (``uname`` for uname(2), None when
not read). A file that cannot be read or is not of the expected form gives None and its
``SysfsError`` is passed to ``record``. Read-only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import platform
import re

from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import SysfsError

# Files of the host root (not sysfs) read for the host's identity: relative to host_root.
OSRELEASE = "proc/sys/kernel/osrelease"
BOOT_ID = "proc/sys/kernel/random/boot_id"
MACHINE_ID = "etc/machine-id"
UNAME = "uname"     # the source of a kernel release taken from uname(2) (host_root / only)

_BOOT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_MACHINE_ID = re.compile(r"[0-9a-f]{32}\Z")
_RELEASE = re.compile(r"[!-~]{1,64}\Z")


def _host_file(host, record, relpath, pattern, what):
    """``(value, path)`` of one identity file of the host root; None (recorded) when unreadable
    or not of the expected form."""
    path = host.abspath(relpath)
    value, err = host.read(relpath)
    if err is None:
        value = value.strip()
        if pattern.match(value):
            return value, path
        err = SysfsError(path, "EINVAL", "value %r is not %s" % (value[:80], what))
    record(err)
    return None, path


def host_identity(host, record):
    """``(facts, sources)``: kernel_release, boot_id, machine_id and where each was read from."""
    if host is None:
        return {"kernel_release": platform.release(), "boot_id": None, "machine_id": None}, {
            "kernel_release": UNAME, "boot_id": None, "machine_id": None}
    facts, sources = {}, {}
    if host.root == "/":
        # The running kernel: the file, or uname(2) when /proc is not readable.
        value, err = host.read(OSRELEASE)
        if err is None and _RELEASE.match(value.strip()):
            facts["kernel_release"], sources["kernel_release"] = value.strip(), host.abspath(OSRELEASE)
        else:
            facts["kernel_release"], sources["kernel_release"] = platform.release(), UNAME
    else:
        facts["kernel_release"], sources["kernel_release"] = _host_file(
            host, record, OSRELEASE, _RELEASE, "a kernel release")
    facts["boot_id"], sources["boot_id"] = _host_file(
        host, record, BOOT_ID, _BOOT_ID, "a boot id (a lower-case UUID)")
    facts["machine_id"], sources["machine_id"] = _host_file(
        host, record, MACHINE_ID, _MACHINE_ID, "a machine id (32 lower-case hexadecimal digits)")
    return facts, sources
