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
  where:
    description: As in the P(vfio.mdev_migration.migration_targets#filter) filter.
    type: str
  probes:
    description: As in the P(vfio.mdev_migration.migration_targets#filter) filter.
    type: raw
  max_age:
    description: As in the P(vfio.mdev_migration.migration_targets#filter) filter.
    type: int
  fresh_facts:
    description: As in the P(vfio.mdev_migration.migration_targets#filter) filter.
    type: str
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

from jinja2 import pass_context

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._targets import migration_targets

ARGS = PluginArgs(DOCUMENTATION)


@pass_context
def mdev_compatible(context, target, *args, **kwargs):
    params = ARGS.validate(args, kwargs)
    if not isinstance(target, str):
        ARGS.fail("the input must be the target host name, got %s" % type(target).__name__)
    facts = params.pop("facts")
    if facts is None:
        facts = context.get("hostvars")
    if facts is None:
        ARGS.fail("no facts given and no hostvars in this context (pass facts=...)")
    params.update(candidates=[target], type_id=None, version=None, identity=None, details=True)
    records = migration_targets(ARGS, facts, params)
    return bool(records) and records[0]["selected"]


class TestModule(object):
    def tests(self):
        return {"mdev_compatible": mdev_compatible}
