# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Migration version strings taken apart (PRIVATE to the collection).

Contract: ``parse_version(text)`` never raises on a string; it names the format it recognised
(``rfc_v1``, ``gvt_v5``) or ``opaque``. Parsing never decides a verdict: versions are compared
whole, as the kernel's write probe compares them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_RFC_V1 = re.compile(r"([0-9a-fA-F]{4})([0-9a-fA-F]{4})-(.+)")
_GVT_V5 = re.compile(r"([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-(.+)-([0-9a-fA-F]{8})")
DEVICE_TYPES = {0x0002: "pci", 0x0004: "platform", 0x0008: "ccw", 0x0020: "ap"}


def parse_version(text):
    """Parse a migration version string. Never raises on a string.

    ``rfc_v1``: 32-bit common part (high 16 bits device type, low 16 bits PCI vendor) then a
    vendor part, e.g. ``00028086-193b-i915-GVTg_V5_4``. ``gvt_v5``: ``<vendor>-<device>-<type>-<software
    version>`` as the GVT reference implementation prints it. Anything else is ``opaque``.
    """
    result = {"raw": text, "format": "opaque", "vendor_id": None, "device_id": None, "device_type": None,
              "type": None, "software_version": None, "vendor_part": None}
    match = _GVT_V5.fullmatch(text)
    if match:
        result.update(format="gvt_v5", vendor_id=match.group(1).lower(), device_id=match.group(2).lower(),
                      type=match.group(3), software_version=match.group(4).lower())
        return result
    match = _RFC_V1.fullmatch(text)
    if match and int(match.group(1), 16) in DEVICE_TYPES:
        result.update(format="rfc_v1", device_type=DEVICE_TYPES[int(match.group(1), 16)],
                      vendor_id=match.group(2).lower(), vendor_part=match.group(3))
    return result
