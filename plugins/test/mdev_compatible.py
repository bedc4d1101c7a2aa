# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mdev_compatible
short_description: Whether one host can take a source mdev device
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - True when the target host named in the input is V(compatible) with the source device under the same rules as the
    P(vfio.mdev_migration.migration_targets#filter) filter; false when it is incompatible or unknown. Capacity is
    checked only when O(min_available) is given.
positional: source_host, device
options:
  _input:
    description: The target host name.
    type: str
    required: true
  source_host:
    description: The host the source device is on.
    type: str
    required: true
  device:
    description: The source device (mdev UUID or vendor-VFIO VF address), or a list of them.
    type: raw
    required: true
  facts:
    description: C(hostvars), or a mapping of host name to mdev facts. Default - C(hostvars).
    type: dict
  policy:
    description: As in the P(vfio.mdev_migration.migration_targets#filter) filter.
    type: str
    choices: [auto, version, identity]
    default: auto
  min_available:
    description: Free instances the target must have. Default - capacity is not checked.
    type: int
    default: 0
  match_vars:
    description: As in the P(vfio.mdev_migration.migration_targets#filter) filter.
    type: list
    elements: str
    default: []
  probes:
    description: As in the P(vfio.mdev_migration.migration_targets#filter) filter.
    type: raw
seealso:
  - plugin: vfio.mdev_migration.migration_targets
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Refuse to migrate to a host that is not compatible
  ansible.builtin.assert:
    that:
      - "'gpu-a2' is vfio.mdev_migration.mdev_compatible('gpu-a1', '6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01')"
    fail_msg: gpu-a2 cannot take the vGPU of gpu-a1
"""

RETURN = r"""
_value:
  description: Whether the target is compatible (and, with O(min_available), has room).
  type: bool
"""

from ansible.errors import AnsibleFilterError
from jinja2 import pass_context

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._selection import migration_targets


@pass_context
def mdev_compatible(context, target, source_host, device, facts=None, **kwargs):
    plugin = "mdev_compatible"
    if facts is None:
        facts = context.get("hostvars")
    if not isinstance(target, str):
        raise AnsibleFilterError("%s: the input must be the target host name, got %s" % (plugin, type(target).__name__))
    if facts is None:
        raise AnsibleFilterError("%s: no facts given and no hostvars in this context (pass facts=...)" % plugin)
    kwargs.setdefault("min_available", 0)
    records, _params = migration_targets(facts, plugin=plugin, source_host=source_host, device=device,
                                         candidates=[target], **kwargs)
    return bool(records) and records[0]["selected"]


class TestModule(object):
    def tests(self):
        return {"mdev_compatible": mdev_compatible}
