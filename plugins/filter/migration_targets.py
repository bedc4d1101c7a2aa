# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: migration_targets
short_description: Pick the hosts a VM's mdev can live-migrate to, with the evidence and the reasons
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Decides offline, on the controller, from C(hostvars) or cached facts gathered by M(vfio.mdev_migration.mdev_facts),
    which candidate hosts can take a source device, ranked, and for every host left out the reason.
  - Every candidate gets a verdict (V(compatible), V(incompatible), V(unknown)) and the evidence it rests on
    (V(probe), V(version), V(policy), V(unknown)). A host without facts (unreachable, not gathered) is V(unknown),
    never dropped and never compatible. Capacity (free instances, free VFs) is reported beside the verdict and only
    applied through O(min_available).
  - "Policies: V(version) - compatible only where both sides publish the same version attribute value. V(identity) -
    for kernels without version attributes: same type-id, C(device_api), parent PCI vendor, device and subsystem ids
    (or the same non-PCI subsystem), driver and driver version (the kernel release only for drivers known to be in-tree
    on both sides); compatible only if every one of them is known on both sides and equal. V(auto) - V(version) where
    both sides publish a version, V(identity) where neither does. Under every policy, a version published on one side
    only, versions that differ, versions not gathered or unreadable give V(unknown) (a write probe can still decide),
    and a type whose version attribute reads with an errno meaning no migration is V(incompatible). The full decision
    table is in the collection's concepts guide."
  - Probe results of M(vfio.mdev_migration.mdev_version_probe) given in O(probes) decide wherever the source publishes a
    version - only a full acceptance of every source version for the same parent and type is V(compatible), a refusal
    (EINVAL) is V(incompatible), and any other answer, a failed, unreachable or skipped probe, or no probe record at
    all is V(unknown).
  - A candidate that is the source's own machine under another inventory name (same C(machine_id) or C(boot_id)), or
    that already holds an mdev with the source device's UUID or has an mdevctl definition of it (started or not), is
    V(incompatible); one whose mdevctl definitions could not all be listed is V(unknown) for an mdev source.
  - NVIDIA vendor-VFIO sources (a VF with a vGPU type in use) go to hosts whose GPU has the same board ids and driver
    version, on identity evidence only (VFs publish no version); capacity is the number of free VFs that can create the
    type (a VF whose type could not be read is not free). mdev and vendor-VFIO hosts mix freely.
  - Capacity counts what mdevctl has promised away - a persistent definition with C(start) V(auto) that is not active
    now takes an instance at the next boot, so it is taken from the free instances of its type on its parent (a
    reservation of another type leaves none of the parent's counted). Definitions that could not be read make that
    parent V(unknown). Facts gathered without the V(mdevctl) subset reserve nothing.
  - "Ranking: probe-verified first, then version, then policy; then most free capacity on the parents that carry the
    host's verdict and evidence; then host name."
positional: source_host, device
options:
  _input:
    description:
      - C(hostvars), or a mapping of host name to mdev facts (C(ansible_facts.mdev)), for example read from a fact cache.
    type: dict
    required: true
  vm:
    description:
      - The VM to migrate, by name (its libvirt domain name), instead of O(source_host) and O(device). The host whose
        facts show it running (or paused) is the source host, and every mdev and vendor-VFIO VF it holds there is a
        source device; a target must take them all.
      - Needs facts gathered with the V(libvirt) subset of M(vfio.mdev_migration.mdev_facts). Fails, naming the hosts,
        when the VM runs on no host whose VMs are known, runs on two hosts (a split-brain signal), or holds no device.
    type: str
    version_added: 0.2.0
  source_host:
    description: The host the VM runs on now. Its facts describe the source device. Never a candidate itself.
    type: str
  device:
    description:
      - The source device on O(source_host) - an mdev UUID or the PCI address of an NVIDIA vendor-VFIO VF - or a list
        of them for a VM with several devices; a target must then fit all of them.
    type: raw
  type_id:
    description: Source described without a source host - the mdev type-id (or the vendor-VFIO vGPU type id).
    type: str
  version:
    description: With O(type_id) - the source's migration version string, if it has one.
    type: str
  identity:
    description:
      - With O(type_id) - the source's identity facts for the identity policy. Keys C(device_api), C(pci) (a dictionary
        with C(vendor_id), C(device_id), C(subsystem_vendor_id), C(subsystem_device_id)), C(driver),
        C(driver_version), C(kernel_release), and C(kind) (V(mdev) or V(vendor_vfio)).
    type: dict
  candidates:
    description: Host names to consider. Default - every host in the input except O(source_host).
    type: list
    elements: str
  policy:
    description: How to decide when no probe result is given (see the description).
    type: str
    choices: [auto, version, identity]
    default: auto
  min_available:
    description:
      - Free instances (or free VFs) a host must have to be selected. A compatible host with fewer is reported with
        that reason and not selected. Use V(0) to select on compatibility alone.
    type: int
    default: 1
  match_vars:
    description:
      - Host variables (dotted paths into hostvars, such as V(ecc_mode) or V(ansible_facts.distribution_version)) that
        must be equal on the source and the target. Missing on either side gives V(unknown); different gives
        V(incompatible). Needs O(source_host) or O(vm).
    type: list
    elements: str
    default: []
  where:
    description:
      - A JMESPath expression each target parent must satisfy. It sees C(host), C(parent), C(type_id),
        C(parent_facts) (the parent's facts without its types, or the GPU's for a vendor-VFIO VF), C(type) (the
        type's facts) and C(kernel_release). Example - V(parent_facts.numa_node == `0`).
    type: str
  probes:
    description:
      - Probe results - the name of the variable each candidate registered M(vfio.mdev_migration.mdev_version_probe)
        into, or a mapping of host name to that registered result.
    type: raw
  max_age:
    description:
      - Refuse facts gathered more than this many seconds ago (their C(gathered_at)) - such hosts are V(unknown). Use it
        when the input comes from a fact cache.
    type: int
  fresh_facts:
    description:
      - The name of the variable this run's M(vfio.mdev_migration.mdev_facts) task registered into. Only facts held by
        a successful registered result count - a host unreachable, failed or skipped in this run is V(unknown) whatever
        a fact cache still holds, and the source host must have answered.
    type: str
  details:
    description: Return one record per candidate instead of the ranked host names.
    type: bool
    default: false
requirements:
  - jmespath (only for O(where))
seealso:
  - module: vfio.mdev_migration.mdev_facts
  - module: vfio.mdev_migration.mdev_version_probe
  - plugin: vfio.mdev_migration.mdev_compatible
    plugin_type: test
"""

EXAMPLES = r"""
- name: Hosts that can take the VM's vGPU, best first
  ansible.builtin.debug:
    msg: >-
      {{ hostvars | vfio.mdev_migration.migration_targets(
           source_host='gpu-a1', device='6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01',
           candidates=groups['mdev_hosts']) }}

- name: Every candidate with its verdict, evidence and reasons
  ansible.builtin.set_fact:
    target_report: >-
      {{ hostvars | vfio.mdev_migration.migration_targets(
           source_host='gpu-a1', device='6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01',
           candidates=groups['mdev_hosts'], details=true) }}

- name: Same ECC mode on both sides, NUMA node 0 only, two free instances
  ansible.builtin.debug:
    msg: >-
      {{ hostvars | vfio.mdev_migration.migration_targets(
           source_host='gpu-a1', device='6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01',
           candidates=groups['mdev_hosts'], match_vars=['ecc_mode'],
           where='parent_facts.numa_node == `0`', min_available=2) }}

- name: Use the probe results each candidate registered as "probe"
  ansible.builtin.debug:
    msg: >-
      {{ hostvars | vfio.mdev_migration.migration_targets(
           source_host='gpu-a1', device='6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01',
           candidates=groups['mdev_hosts'], probes='probe') }}

- name: Where can the VM web01 go? (its host and devices are found in the facts gathered with the libvirt subset)
  ansible.builtin.debug:
    msg: "{{ hostvars | vfio.mdev_migration.migration_targets(vm='web01', candidates=groups['mdev_hosts']) }}"

- name: A source described without its host (identity policy)
  ansible.builtin.debug:
    msg: >-
      {{ hostvars | vfio.mdev_migration.migration_targets(
           type_id='nvidia-222', policy='identity',
           identity={'device_api': 'vfio-pci', 'driver': 'nvidia', 'driver_version': '550.54.10',
                     'pci': {'vendor_id': '10de', 'device_id': '1eb8',
                             'subsystem_vendor_id': '10de', 'subsystem_device_id': '12a2'}}) }}
"""

RETURN = r"""
_value:
  description:
    - Without O(details) - the selected host names, best first.
    - With O(details) - one record per candidate, selected hosts first in rank order, then the others by name. Each
      record has C(host), C(selected), C(rank) (null when not selected), C(verdict), C(evidence), C(parents) (the
      target parents, or GPUs, that fit), C(capacity) (free instances or VFs on them, less those reserved by mdevctl
      auto-start definitions), C(reserved) (instances reserved, by parent), C(reasons) (sentences), C(why)
      (the one reason that carries the verdict, for a one-line summary), and for
      several source devices C(devices) (the same per device), for vendor-VFIO sources C(free_vfs). A C(unknown)
      verdict always has C(unknown) evidence.
  type: list
  elements: raw
"""

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._targets import migration_targets as _targets

ARGS = PluginArgs(DOCUMENTATION)


def migration_targets(data, *args, **kwargs):
    params = ARGS.validate(args, kwargs)
    records = _targets(ARGS, data, params)
    if params["details"]:
        return records
    return [r["host"] for r in records if r["selected"]]


class FilterModule(object):
    def filters(self):
        return {"migration_targets": migration_targets}
