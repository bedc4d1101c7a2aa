#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mdev_version_probe
short_description: Ask a target host's mdev driver whether it accepts a source device's migration version
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Runs on a candidate target host. Writes the source device's migration version string into the target's
    C(migration_version) or C(version) attribute, as the mdev migration-version RFC defines, and reports what the
    driver answered for each attribute probed.
  - The write returns the written length when the driver can accept a migration stream of that version, and fails
    with an errno (C(EINVAL)) when it cannot. A type without the attribute, or whose attribute fails to read, does not
    support migration.
  - Each attribute is first read once, then written with exactly one unbuffered C(write(2)) of the exact bytes on a
    descriptor opened write-only; an C(EINVAL) is never retried. No other file is ever written, and nothing outside
    O(sysfs_root).
  - Probes a type under every parent that offers it (before any device exists), the type and device-level attributes
    of a running device, and several versions or types in one call with O(probes).
  - All input is validated before any syscall; a refusal fails the task with a message naming the bad input, and
    nothing is written.
options:
  source_version:
    description:
      - The migration version read on the source (C(ansible_facts.mdev.parents[parent].types[type].migration.version)
        gathered by M(vfio.mdev_migration.mdev_facts)). Printable ASCII, 1 to 4096 bytes, without NUL or newline; one trailing
        newline is stripped.
      - Mutually exclusive with O(probes).
    type: str
  type_id:
    description:
      - The mdev type to probe, under every parent that offers it, or under O(parents) when given.
      - Mutually exclusive with O(device).
    type: str
  device:
    description:
      - UUID of an mdev device on the target. Probes its device-level attribute (where the driver has one) and its
        type's attribute through C(bus/mdev/devices/<uuid>/mdev_type).
      - Mutually exclusive with O(type_id).
    type: str
  parents:
    description:
      - Names of parents under C(class/mdev_bus) to probe O(type_id) on. Empty means every parent that offers the
        type. A named parent that does not offer the type gives an V(unsupported) result.
    type: list
    elements: str
    default: []
  probes:
    description:
      - Several probes in one call, for a VM with several mdevs or for many versions of one type. Each item takes
        the keys O(source_version), O(type_id) or O(device), and O(parents).
      - Mutually exclusive with O(source_version).
    type: list
    elements: dict
    suboptions:
      source_version:
        description: As O(source_version).
        type: str
        required: true
      type_id:
        description: As O(type_id).
        type: str
      device:
        description: As O(device).
        type: str
      parents:
        description: As O(parents).
        type: list
        elements: str
        default: []
  attribute:
    description:
      - Which attribute to probe. V(auto) uses C(migration_version) where it exists, else C(version).
    type: str
    choices: [auto, migration_version, version]
    default: auto
  sysfs_root:
    description:
      - Root of the sysfs tree. Paths that resolve outside it are refused.
    type: path
    default: /sys
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - The probe runs in check mode too and always reports C(changed=false). By the kernel ABI a write to a migration
        version attribute is a query, not a change; the driver only answers whether it would accept a migration
        stream of that version, and no device, type or setting changes. Skipping it would leave check mode without
        the answer it exists to give.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: linux
    details: Writes to the Linux kernel's sysfs version attributes under O(sysfs_root); other systems have no
      mdev.
notes:
  - "Writing to sysfs needs root on a real host; run the module with C(become: true). Without it every probe is
    an V(error) whose message says so."
  - Mainline kernels have no version attribute; there the result is V(unsupported) for every type and target
    selection falls back to identity facts.
seealso:
  - module: vfio.mdev_migration.mdev_facts
  - plugin: vfio.mdev_migration.migration_targets
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Probe a type before any device exists on the target
  vfio.mdev_migration.mdev_version_probe:
    type_id: nvidia-222
    source_version: "{{ hostvars['gpu-a1'].ansible_facts.mdev.parents['0000:3b:00.0'].types['nvidia-222'].migration.version }}"
  become: true
  register: probe

- name: Show the parents that accept it
  ansible.builtin.debug:
    var: probe.compatible_parents

- name: Probe through a running device (device-level and type attribute)
  vfio.mdev_migration.mdev_version_probe:
    device: 6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01
    source_version: 10de-1eb8-nvidia-222-550.54.10
  become: true

- name: Probe every mdev of one VM in a single call
  vfio.mdev_migration.mdev_version_probe:
    probes:
      - type_id: nvidia-222
        source_version: 10de-1eb8-nvidia-222-550.54.10
      - type_id: nvidia-223
        source_version: 10de-1eb8-nvidia-223-550.54.10
        parents: ["0000:3b:00.0"]
  become: true
  register: vm_probe

- name: Require that every mdev of the VM fits
  ansible.builtin.assert:
    that: vm_probe.probes | rejectattr('compatible') | list | length == 0
"""

RETURN = r"""
changed:
  description: Always false; the probe is a query (see C(check_mode) under attributes).
  returned: always
  type: bool
  sample: false
compatible:
  description: True when at least one parent accepted the version of at least one probe.
  returned: always
  type: bool
  sample: true
compatible_parents:
  description: Parents on which every attribute probed accepted the source version, over all probes.
  returned: always
  type: list
  elements: str
  sample: ["0000:3b:00.0"]
probes:
  description: One summary per probe request, in the order given (one item when O(source_version) is used).
  returned: always
  type: list
  elements: dict
  contains:
    source_version:
      description: The version probed, without a trailing newline.
      type: str
    type_id:
      description: The type probed.
      type: str
    device:
      description: The device probed, or null.
      type: str
    compatible:
      description: True when at least one parent accepted this version on every attribute probed there.
      type: bool
    compatible_parents:
      description: Those parents.
      type: list
      elements: str
results:
  description: One record per attribute probed.
  returned: always
  type: list
  elements: dict
  contains:
    probe:
      description: Index of the probe request this record belongs to.
      type: int
      sample: 0
    parent:
      description: Parent device name, or null when no parent offers the type.
      type: str
      sample: "0000:3b:00.0"
    type_id:
      description: The mdev type.
      type: str
      sample: nvidia-222
    device:
      description: The device UUID for a device probe, else null.
      type: str
    attribute:
      description: V(migration_version), V(version), or null when the type has no attribute.
      type: str
    path:
      description: Absolute path of the attribute written, or null when nothing was written.
      type: str
    source_version:
      description: The version written.
      type: str
    verdict:
      description:
        - V(compatible) the kernel accepted every byte; V(incompatible) the driver refused with C(EINVAL);
          V(unsupported) no attribute, a failing read, or C(ENODEV)/C(EOPNOTSUPP) on write; V(error) anything else
          (permission, I/O, a short write).
      type: str
      choices: [compatible, incompatible, unsupported, error]
    errno:
      description: Name of the errno of the failed read or write, or null.
      type: str
      sample: EINVAL
    written:
      description: Bytes the kernel accepted, or null when the write failed or was not made.
      type: int
      sample: 30
    message:
      description: What happened, in words.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.mdev_migration.plugins.module_utils._probe import (
    ATTRIBUTE_CHOICES,
    ProbeInputError,
    execute,
    plan,
    summarize,
)
from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs, root_problem


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source_version=dict(type="str"),
            type_id=dict(type="str"),
            device=dict(type="str"),
            parents=dict(type="list", elements="str", default=[]),
            probes=dict(type="list", elements="dict", options=dict(
                source_version=dict(type="str", required=True),
                type_id=dict(type="str"),
                device=dict(type="str"),
                parents=dict(type="list", elements="str", default=[]),
            )),
            attribute=dict(type="str", choices=list(ATTRIBUTE_CHOICES), default="auto"),
            sysfs_root=dict(type="path", default="/sys"),
        ),
        required_one_of=[["source_version", "probes"]],
        mutually_exclusive=[["source_version", "probes"], ["type_id", "device"], ["probes", "type_id"],
                            ["probes", "device"]],
        supports_check_mode=True,
    )
    params = module.params
    if params["probes"]:
        requests = params["probes"]
    else:
        requests = [{"source_version": params["source_version"], "type_id": params["type_id"],
                     "device": params["device"], "parents": params["parents"]}]
    problem = root_problem(params["sysfs_root"])
    if problem:
        module.fail_json(msg=problem)
    fs = Sysfs(params["sysfs_root"])
    try:
        planned = plan(fs, requests, params["attribute"])
    except ProbeInputError as exc:
        module.fail_json(msg=str(exc))
    results = execute(fs, planned)
    summary = summarize(requests, results)
    parents = sorted(set(p for s in summary for p in s["compatible_parents"]))
    module.exit_json(
        changed=False,
        compatible=any(s["compatible"] for s in summary),
        compatible_parents=parents,
        probes=summary,
        results=results,
    )


if __name__ == "__main__":
    main()
