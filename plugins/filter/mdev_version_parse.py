# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mdev_version_parse
short_description: Parse an mdev migration version string
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Splits a C(version) or C(migration_version) value into its parts where it follows a known layout, and marks it
    V(opaque) otherwise. Never fails on a string; the RFC defines the string as opaque to everyone but the vendor
    driver, so use the parts for reports, not for compatibility decisions.
  - V(rfc_v1) - the 2019 RFC v1 form C(00028086-193b-i915-GVTg_V5_4) - a 32-bit common part (high 16 bits the VFIO
    device type, C(0002) for PCI; low 16 bits the PCI vendor id), then a vendor part.
  - V(gvt_v5) - the GVT reference form C(<vendor>-<device>-<type>-<software version>), for example
    C(8086-591d-i915-GVTg_V5_8-00000001).
options:
  _input:
    description: The version string.
    type: str
    required: true
seealso:
  - plugin: vfio.mdev_migration.migration_targets
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Parse an RFC v1 version
  ansible.builtin.assert:
    that:
      - (parsed.format, parsed.vendor_id, parsed.device_type) == ('rfc_v1', '8086', 'pci')
  vars:
    parsed: "{{ '00028086-193b-i915-GVTg_V5_4' | vfio.mdev_migration.mdev_version_parse }}"

- name: Vendor strings nobody can parse are opaque, not errors
  ansible.builtin.debug:
    msg: "{{ '10de-1eb8-nvidia-222-550.54.10' | vfio.mdev_migration.mdev_version_parse }}"
"""

RETURN = r"""
_value:
  description: The parts of the version.
  type: dict
  contains:
    raw:
      description: The input.
      type: str
    format:
      description: V(rfc_v1), V(gvt_v5) or V(opaque).
      type: str
    vendor_id:
      description: PCI vendor id (lower-case hex) for V(rfc_v1) and V(gvt_v5), else null.
      type: str
    device_id:
      description: PCI device id for V(gvt_v5), else null.
      type: str
    device_type:
      description: VFIO device type of the common part (V(pci), V(platform), V(ccw), V(ap)) for V(rfc_v1), else null.
      type: str
    type:
      description: The vGPU type for V(gvt_v5), else null.
      type: str
    software_version:
      description: The software version (hex) for V(gvt_v5), else null.
      type: str
    vendor_part:
      description: Everything after the common part for V(rfc_v1), else null.
      type: str
"""

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._version_parse import parse_version

ARGS = PluginArgs(DOCUMENTATION)


def mdev_version_parse(value, *args, **kwargs):
    ARGS.validate(args, kwargs)
    if not isinstance(value, str):
        ARGS.fail("the input must be a string, got %s" % type(value).__name__)
    return parse_version(str(value))


class FilterModule(object):
    def filters(self):
        return {"mdev_version_parse": mdev_version_parse}
