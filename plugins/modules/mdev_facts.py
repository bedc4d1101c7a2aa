#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mdev_facts
short_description: Gather mediated device (mdev) facts that decide live-migration compatibility
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Reads, without writing anything, what decides whether a VM's mediated device can live-migrate to this host and
    whether the host has room for it.
  - Parents (devices under C(class/mdev_bus)) with their bus, driver, driver version, PCI identity and NUMA node; the
    mdev types each parent offers with all their attributes, free instances and created devices; each type's and
    each device's migration version attribute (C(migration_version) or C(version)) and whether migration is
    supported; NVIDIA vendor-specific VFIO virtual functions (kernel 6.8 and later, no mdev); the kernel release.
  - Every attribute that cannot be read is listed in RV(ansible_facts.mdev.errors) with its path and errno, and the
    scan goes on. A host without any mdev returns empty dictionaries, not an error.
  - Results are returned as C(ansible_facts.mdev), so they can be cached with Ansible fact caching and used by the
    collection's filters without a live connection.
options:
  sysfs_root:
    description:
      - Root of the sysfs tree to read. Every path read is under it, and a link that resolves outside it is refused
        and reported in RV(ansible_facts.mdev.errors).
      - Point it at a simulated tree (see the collection's simulator) to gather facts without hardware.
    type: path
    default: /sys
  gather_subset:
    description:
      - Which parts to gather. V(all) or any of V(types), V(devices), V(versions), V(pci), V(vendor_vfio); prefix a
        name with V(!) to leave it out (V(!vendor_vfio) gathers everything else).
      - Parents, their driver and driver version, and the kernel release are always gathered.
      - The subsets that were gathered are returned in RV(ansible_facts.mdev.gather_subset), so a consumer can tell
        "not gathered" from "none present".
    type: list
    elements: str
    default: [all]
  parents:
    description:
      - Shell-style patterns (C(fnmatch)) of parent names under C(class/mdev_bus) to gather, for example
        V(0000:3b:*). Devices whose parent does not match are left out as well.
      - Empty means every parent.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: The module only reads; it returns the same facts in check mode.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    support: full
    platforms: linux
    details: Reads the Linux kernel's sysfs (C(class/mdev_bus), C(bus/mdev), C(bus/pci)) under O(sysfs_root); other
      systems have no mdev.
notes:
  - Reading version attributes and C(available_instances) needs no privilege on a real host; all files read are
    world-readable in sysfs.
  - Mainline kernels publish no C(version) or C(migration_version) attribute; they exist only with drivers that
    implement the migration-version RFC. Without them, compatibility is decided from the identity facts gathered here
    (see the P(vfio.mdev_migration.migration_targets#filter) filter).
seealso:
  - module: vfio.mdev_migration.mdev_version_probe
  - plugin: vfio.mdev_migration.migration_targets
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Gather mdev facts
  vfio.mdev_migration.mdev_facts:

- name: Show the mdev types each parent offers
  ansible.builtin.debug:
    msg: "{{ ansible_facts.mdev.parents | dict2items | map(attribute='value.types') | map('list') | list }}"

- name: Gather only types and versions of the GPUs in slot 3b, without PCI identity
  vfio.mdev_migration.mdev_facts:
    parents:
      - "0000:3b:*"
    gather_subset:
      - types
      - versions

- name: Gather facts from a simulated tree (tools/mdev-sim inventory sets sysfs_root per host)
  vfio.mdev_migration.mdev_facts:
    sysfs_root: "{{ sysfs_root }}"

- name: Fail when an attribute could not be read
  ansible.builtin.assert:
    that: ansible_facts.mdev.errors | length == 0
    fail_msg: "{{ ansible_facts.mdev.errors | to_json }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to C(ansible_facts).
  returned: always
  type: dict
  contains:
    mdev:
      description: Mediated-device facts of the host.
      returned: always
      type: dict
      contains:
        schema_version:
          description: Version of this fact layout; it changes only when a key changes meaning or goes away.
          type: int
          returned: always
          sample: 1
        sysfs_root:
          description: The sysfs root that was read, with links resolved.
          type: str
          returned: always
          sample: /sys
        kernel_release:
          description: Release of the kernel (from the simulated tree's C(kernel/osrelease) when it has one).
          type: str
          returned: always
          sample: 6.8.0-51-generic
        gather_subset:
          description: The subsets that were gathered.
          type: list
          elements: str
          returned: always
          sample: [devices, pci, types, vendor_vfio, versions]
        parents:
          description: Parent devices, keyed by their name under C(class/mdev_bus).
          type: dict
          returned: always
          sample: {"0000:3b:00.0": {"bus": "pci", "driver": "nvidia", "driver_version": "550.54.10"}}
          contains:
            bus:
              description: Bus of the parent (V(pci)), or null for a parent that is not on a bus (sample drivers).
              type: str
              sample: pci
            driver:
              description: Name of the bound driver, or null.
              type: str
              sample: nvidia
            driver_version:
              description: Version of the driver's kernel module from C(module/<module>/version), or null.
              type: str
              sample: 550.54.10
            pci:
              description:
                - PCI identity of the parent as lower-case hex without C(0x); null for a non-PCI parent or when the
                  C(pci) subset was not gathered.
                - Keys V(vendor_id), V(device_id), V(subsystem_vendor_id), V(subsystem_device_id), V(revision).
              type: dict
              sample: {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de",
                       "subsystem_device_id": "12a2", "revision": "a1"}
            numa_node:
              description: NUMA node of the parent, or null when the parent has no C(numa_node) attribute.
              type: int
              sample: 0
            types:
              description: mdev types the parent offers, keyed by type-id.
              type: dict
              contains:
                name:
                  description: The type's C(name), or null when the driver has none.
                  type: str
                  sample: GRID T4-2Q
                description:
                  description: The type's C(description), or null when the driver has none.
                  type: str
                device_api:
                  description: The VFIO device API of the type.
                  type: str
                  sample: vfio-pci
                available_instances:
                  description: How many more devices of this type can be created now (capacity, not compatibility).
                  type: int
                  sample: 4
                devices:
                  description: UUIDs of the devices created from this type on this parent.
                  type: list
                  elements: str
                migration:
                  description: The type's migration version attribute. Present when the V(versions) subset is gathered.
                  type: dict
                  contains:
                    attribute:
                      description: V(migration_version), V(version), or null when the type publishes neither.
                      type: str
                    version:
                      description: The value read, or null.
                      type: str
                      sample: 10de-1eb8-nvidia-222-550.54.10
                    supported:
                      description: True when the attribute reads, false when the read fails (migration unsupported),
                        null when there is no attribute.
                      type: bool
                    errno:
                      description: Name of the errno of a failed read, or null.
                      type: str
                      sample: ENODEV
        devices:
          description: Created mdev devices, keyed by UUID, from C(bus/mdev/devices).
          type: dict
          returned: always
          contains:
            parent:
              description: Name of the parent device.
              type: str
            type_id:
              description: Type-id of the device, from its C(mdev_type) link.
              type: str
            migration:
              description: The device-level migration version attribute, with the same keys as a type's C(migration).
              type: dict
        vendor_vfio:
          description:
            - NVIDIA vendor-specific VFIO virtual functions (Ada Lovelace, Hopper and newer on kernel 6.8 and later),
              keyed by the VF's PCI address. Empty on hosts without them.
          type: dict
          returned: always
          contains:
            physfn:
              description: PCI address of the physical GPU the VF belongs to.
              type: str
            creatable_types:
              description: vGPU types that can be created on the VF now, id to profile name.
              type: dict
              sample: {"1428": "NVIDIA H200X-141C"}
            current_type:
              description: The vGPU type id in use on the VF, or null when the VF is free.
              type: int
            pci:
              description: PCI identity of the physical GPU, with the same keys as a parent's C(pci).
              type: dict
            numa_node:
              description: NUMA node of the physical GPU, or null.
              type: int
            driver:
              description: Driver bound to the physical GPU.
              type: str
            driver_version:
              description: Version of that driver's module, or null.
              type: str
        errors:
          description: Every attribute that could not be read. The scan went on past each.
          type: list
          elements: dict
          returned: always
          sample: [{"path": "/sys/devices/pci0000:00/0000:3b:00.0/numa_node", "errno": "EIO",
                    "message": "Input/output error"}]
          contains:
            path:
              description: Absolute path of the attribute.
              type: str
            errno:
              description: Name of the errno; V(EXDEV) for a path resolving outside C(sysfs_root), V(EILSEQ) for a value
                that is not UTF-8, V(EOVERFLOW) for a value over 4096 bytes, V(EINVAL) for a value that should be an
                integer and is not.
              type: str
            message:
              description: What went wrong, in words.
              type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts import (
    SubsetError,
    gather_facts,
    resolve_subset,
)
from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import root_problem


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysfs_root=dict(type="path", default="/sys"),
            gather_subset=dict(type="list", elements="str", default=["all"]),
            parents=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    root = module.params["sysfs_root"]
    problem = root_problem(root)
    if problem:
        module.fail_json(msg=problem)
    try:
        subset = resolve_subset(module.params["gather_subset"])
    except SubsetError as exc:
        module.fail_json(msg=str(exc))
    facts = gather_facts(root, subset, module.params["parents"])
    module.exit_json(changed=False, ansible_facts={"mdev": facts})


if __name__ == "__main__":
    main()
