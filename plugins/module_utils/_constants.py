# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Names and small rules shared by the host-side code (PRIVATE to the collection).

The facts gatherer and the probe both import from here, so that the verdict names, the version
attribute names, the errnos that mean "migration unsupported" and the rule that says what a
valid migration version is are written once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Probe verdicts.
COMPATIBLE = "compatible"
INCOMPATIBLE = "incompatible"
UNSUPPORTED = "unsupported"
ERROR = "error"
VERDICTS = (COMPATIBLE, INCOMPATIBLE, UNSUPPORTED, ERROR)

# Compatibility attributes in order of preference: the v3+ name first, then the v1/v2 name.
VERSION_ATTRIBUTES = ("migration_version", "version")

# sysfs_emit() never returns more than PAGE_SIZE; the migration-version RFC bounds values by
# PATH_MAX. Both are 4096.
MAX_VALUE_BYTES = 4096

# A read errno that the RFC defines as "this type does not support migration" rather than a
# failure to look at the host (EIO, EACCES ... say nothing about support: unknown).
UNSUPPORTED_READ_ERRNOS = ("ENODEV", "EOPNOTSUPP")

# A write errno that says the target does not support migration (rather than refusing this version).
UNSUPPORTED_WRITE_ERRNOS = ("ENOENT", "ENODEV", "EOPNOTSUPP")

# A write errno that says the caller lacks the privilege to probe.
PRIVILEGE_ERRNOS = ("EACCES", "EPERM")

# errno name given to a value that breaks the version rule (version_problem).
EBADVERSION = "EINVAL"


def is_int(value):
    """True for an int that is not a bool (``True`` is an ``int`` in Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def version_problem(value):
    """Why ``value`` is not a migration version the probe would write, or None when it is one.

    The one rule, used offline on gathered versions and by the probe before any write: a string
    (a trailing newline already stripped), 1 to MAX_VALUE_BYTES bytes of printable ASCII
    (0x20 to 0x7e), not whitespace only. No control character (NUL, newline, tab, DEL), nothing
    outside ASCII.
    """
    if not isinstance(value, str):
        return "is not a string (got %s)" % type(value).__name__
    if not value:
        return "is empty"
    for index, char in enumerate(value):
        if not " " <= char <= "~":
            return ("contains %r at position %d; a migration version is printable ASCII without control "
                    "characters" % (char, index))
    if not value.strip(" "):
        return "is whitespace only"
    if len(value) > MAX_VALUE_BYTES:
        return "is %d bytes long; a migration version is at most %d bytes" % (len(value), MAX_VALUE_BYTES)
    return None
