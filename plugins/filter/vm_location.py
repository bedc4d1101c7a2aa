# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: vm_location
short_description: The host a VM runs on and the mdevs and VFs it holds there, from the fleet's facts
version_added: 0.2.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Finds, in C(hostvars) or cached facts gathered by M(vfio.mdev_migration.mdev_facts) with the V(libvirt) subset, the
    one host on which the VM named O(vm) is active (running or paused), and the devices it holds there - the UUIDs of
    its mdevs and the PCI addresses of its NVIDIA vendor-VFIO VFs.
  - Fails with a message that names the hosts when the answer would not be safe to act on - the VM is active on no host
    whose VMs are known (it lists where it is defined but shut off, and where the VMs are unknown - no facts, libvirt
    not gathered or not readable), it is active on two hosts (a split-brain signal), it holds no device, or which of
    its PCI devices are VFs is unknown.
  - The P(vfio.mdev_migration.migration_targets#filter) filter does the same lookup for its O(vfio.mdev_migration.migration_targets#filter:vm) option.
positional: vm
options:
  _input:
    description: C(hostvars), or a mapping of host name to mdev facts (C(ansible_facts.mdev)).
    type: dict
    required: true
  vm:
    description: The VM's name (its libvirt domain name).
    type: str
    required: true
  fresh_facts:
    description:
      - The name of the variable this run's M(vfio.mdev_migration.mdev_facts) task registered into. Only facts of this
        run count; a host that did not answer is a host whose VMs are unknown.
    type: str
  max_age:
    description: Facts of the VM's host gathered more than this many seconds ago are refused (an error names the host).
    type: int
seealso:
  - plugin: vfio.mdev_migration.migration_targets
    plugin_type: filter
  - module: vfio.mdev_migration.mdev_facts
"""

EXAMPLES = r"""
- name: Gather the VMs with the mdev facts
  vfio.mdev_migration.mdev_facts:
    host_root: "{{ host_root }}"
    libvirt_uri: "{{ libvirt_uri }}"

- name: Where does web01 run, and with which devices?
  ansible.builtin.debug:
    msg: "{{ hostvars | vfio.mdev_migration.vm_location('web01') }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: Where the VM runs.
  type: dict
  contains:
    vm: {description: "The VM's name.", type: str, sample: web01}
    host: {description: "Inventory name of the host it is active on.", type: str, sample: gpu-a1}
    devices:
      description: Its mdev UUIDs, then its vendor-VFIO VF addresses, as in the host's libvirt facts.
      type: list
      elements: str
      sample: [6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01]
    state: {description: "The VM's state on that host (V(running), V(paused) ...).", type: str, sample: running}
"""

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._fleet_input import Fleet
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vm_source import find_vm
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import PolicyInputError

ARGS = PluginArgs(DOCUMENTATION)


def vm_location(data, *args, **kwargs):
    params = ARGS.validate(args, kwargs)
    if not params["vm"]:
        ARGS.fail("vm must be the name of a VM (a libvirt domain)")
    if params["max_age"] is not None and params["max_age"] < 0:
        ARGS.fail("max_age must be 0 or more seconds")
    fleet = Fleet(ARGS, data, params["fresh_facts"])
    try:
        host, devices = find_vm(fleet, params["vm"], params["max_age"])
    except PolicyInputError as exc:
        ARGS.fail(str(exc))
    facts = fleet.facts(host)[0]
    return {"vm": params["vm"], "host": host, "devices": devices, "state": facts["domains"][params["vm"]].get("state")}


class FilterModule(object):
    def filters(self):
        return {"vm_location": vm_location}
