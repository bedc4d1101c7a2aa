# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: evacuation_plan
short_description: Plan where every VM of a host goes before the host is drained
version_added: 0.2.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Places every VM of O(source_host) that holds mdevs or NVIDIA vendor-VFIO VFs on one target host, all its devices
    on that one host, from C(hostvars) or cached facts gathered by M(vfio.mdev_migration.mdev_facts) with the
    V(libvirt) subset. Offline, on the controller.
  - A VM goes only to a host that P(vfio.mdev_migration.migration_targets#filter) would call V(compatible) for it (the
    same verdict rules, device-level migration records included, O(policy), O(probes), O(where), O(match_vars),
    mdevctl reservations and stale-fact checks); an V(unknown) host is never used, nor a host that already holds or
    defines (mdevctl) one of the VM's UUIDs, nor hosts that are one machine under several inventory names (same
    C(machine_id) or C(boot_id); their capacity would be counted twice).
  - Capacity is consumed as VMs are placed, so two VMs never count on the same free instance. The kernel reports free
    instances per type as if no other type were created next, so a target parent is assumed to take one type only
    (the type of the devices it holds, or, when it holds none, the first type the plan puts on it), as NVIDIA
    time-sliced vGPUs on one GPU do on many drivers. A parent whose facts show devices of two or more types already
    mixes types; its instances are then counted as shares of one pool (an instance of a type with F free instances
    takes 1/F of what is left), which never counts more than the pool holds. A GPU of NVIDIA vendor-VFIO VFs takes one
    VM per plan - its facts say that a free VF can take the type, not how many can.
  - "Order: most constrained first - the VMs that the fewest candidates can take alone at the start, then those with
    more devices, then by name. Each VM goes to the candidate with the best evidence on which every device finds a
    parent with an instance left (all ways of putting the devices on the host's parents are tried); among equals
    O(strategy) decides, then the host name."
  - A VM is in C(unplaced) only when no candidate alone can take all its devices with the capacity left when its turn
    comes (and so with the capacity left at the end), or when it cannot be judged (other host devices, devices not
    all known, a device listed twice or held by two VMs, running on two hosts), with the reasons of up to 50
    candidates (the nearest to taking it first) and a count of all candidates by verdict.
positional: source_host
options:
  _input:
    description:
      - C(hostvars), or a mapping of host name to mdev facts (C(ansible_facts.mdev)), for example read from a fact cache.
    type: dict
    required: true
  source_host:
    description: The host to drain. Its facts (with the V(libvirt) subset) say which VMs run there and what they hold.
    type: str
    required: true
  vms:
    description:
      - The VMs to place, by name. Default - every VM running (or paused) on O(source_host) that holds an mdev, a
        vendor-VFIO VF or another host device (the last cannot be judged and is listed in C(unplaced)).
      - A VM named here that does not run on O(source_host), or holds no device, is an error.
    type: list
    elements: str
  candidates:
    description: Host names that may take VMs. Default - every host in the input except O(source_host).
    type: list
    elements: str
  strategy:
    description:
      - V(spread) - among hosts with equally good evidence, the one with the most instances left for the VM's types,
        which balances what is left. V(pack) - the one with the fewest that still takes the VM, which fills targets
        first and keeps other hosts empty.
    type: str
    choices: [spread, pack]
    default: spread
  policy:
    description: How to decide without a probe result, as in P(vfio.mdev_migration.migration_targets#filter).
    type: str
    choices: [auto, version, identity]
    default: auto
  min_available:
    description:
      - Free instances (or free VFs) a target parent must have left when a device is placed on it; at least one is
        always needed. V(2) keeps one spare instance on every parent the plan uses.
    type: int
    default: 1
  match_vars:
    description:
      - Host variables (dotted paths into hostvars) that must be equal on the source and the target. Missing on either
        side gives V(unknown); different gives V(incompatible).
    type: list
    elements: str
    default: []
  where:
    description:
      - A JMESPath expression each target parent must satisfy, as in
        P(vfio.mdev_migration.migration_targets#filter). It sees C(host), C(parent), C(type_id), C(parent_facts),
        C(type) and C(kernel_release).
    type: str
  probes:
    description:
      - Probe results - the name of the variable each candidate registered M(vfio.mdev_migration.mdev_version_probe)
        into, or a mapping of host name to that registered result. Where the source publishes a version, a host
        without a probe record is then V(unknown).
    type: raw
  max_age:
    description: Refuse facts gathered more than this many seconds ago (their C(gathered_at)) - such hosts are V(unknown).
    type: int
  fresh_facts:
    description:
      - The name of the variable this run's M(vfio.mdev_migration.mdev_facts) task registered into. Only facts held by
        a successful registered result count.
    type: str
requirements:
  - jmespath (only for O(where))
seealso:
  - plugin: vfio.mdev_migration.migration_targets
    plugin_type: filter
  - module: vfio.mdev_migration.mdev_device
  - module: vfio.mdev_migration.mdev_facts
"""

EXAMPLES = r"""
- name: Where does every VM of gpu-a1 go?
  ansible.builtin.set_fact:
    plan: "{{ hostvars | vfio.mdev_migration.evacuation_plan('gpu-a1', candidates=groups['mdev_hosts']) }}"

- name: One line per VM
  ansible.builtin.debug:
    msg: >-
      {{ plan.placements | map(attribute='vm') | zip(plan.placements | map(attribute='target'))
         | map('join', ' -> ') | list + plan.unplaced | map(attribute='vm') | map('regex_replace', '$', ' -> nowhere')
         | list }}

- name: Fill as few hosts as possible, with probe results registered as "probe", same ECC mode on both sides
  ansible.builtin.set_fact:
    plan: >-
      {{ hostvars | vfio.mdev_migration.evacuation_plan(
           source_host='gpu-a1', candidates=groups['mdev_hosts'], strategy='pack', probes='probe',
           match_vars=['ecc_mode']) }}

- name: Plan some VMs only
  ansible.builtin.set_fact:
    plan: >-
      {{ hostvars | vfio.mdev_migration.evacuation_plan('gpu-a1', vms=['web01', 'cad01'],
                                                        candidates=groups['mdev_hosts']) }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    source_host: {description: The host to drain., type: str, sample: gpu-a1}
    strategy: {description: The strategy used., type: str, sample: spread}
    order:
      description: The VMs that could be judged, in the order they were placed (most constrained first).
      type: list
      elements: str
      sample: [cad01, web01]
    placements:
      description: One record per placed VM, in plan order.
      type: list
      elements: dict
      contains:
        vm: {description: "The VM's name.", type: str, sample: web01}
        target: {description: The host that takes all of its devices., type: str, sample: gpu-a4}
        evidence:
          description: The weakest evidence among its devices (V(probe), V(version) or V(policy)).
          type: str
          sample: probe
        alternatives:
          description: How many candidates could take it alone at the start of the plan.
          type: int
          sample: 2
        kinds:
          description: The kinds of its devices, V(mdev) and/or V(vendor_vfio).
          type: list
          elements: str
          sample: [mdev]
        devices:
          description: Per device, C(device) (mdev UUID or VF address), C(kind) (V(mdev) or V(vendor_vfio)),
            C(type_id), C(source_parent), C(target_parent) (the parent, or GPU, planned on the target) and
            C(evidence).
          type: list
          elements: dict
    unplaced:
      description: One record per VM that goes nowhere.
      type: list
      elements: dict
      contains:
        vm: {description: "The VM's name.", type: str, sample: serial01}
        devices: {description: Its mdev UUIDs and VF addresses., type: list, elements: str}
        alternatives: {description: Candidates that could take it alone at the start., type: int, sample: 0}
        why: {description: One sentence., type: str}
        candidates:
          description:
            - Host name to the reason it does not take the VM, for at most 50 candidates - those compatible but full
              first, then V(unknown), then V(incompatible), by name. Empty when the VM could not be judged.
          type: dict
        candidates_not_listed:
          description: Candidates left out of C(candidates).
          type: int
          sample: 0
        verdicts:
          description: Every candidate counted by verdict (V(compatible but full), V(unknown), V(incompatible)).
          type: dict
          sample: {incompatible: 9, unknown: 1}
    capacity:
      description:
        - Host to parent to type-id to the instances left after the plan, for every candidate that is compatible with
          at least one VM, over the types of the VMs planned. Left means what the plan may still count on (0 for a
          type a homogeneous parent can no longer take).
      type: dict
      sample: {gpu-a2: {"0000:3b:00.0": {nvidia-222: 0, nvidia-223: 0}}}
    summary:
      description: C(vms), C(placed) and C(unplaced) counts.
      type: dict
      sample: {vms: 2, placed: 2, unplaced: 0}
"""

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._evacuation_plan import evacuation_plan as _plan
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs

ARGS = PluginArgs(DOCUMENTATION)


def evacuation_plan(data, *args, **kwargs):
    return _plan(ARGS, data, ARGS.validate(args, kwargs))


class FilterModule(object):
    def filters(self):
        return {"evacuation_plan": evacuation_plan}
