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
  - The attribute is opened with C(O_NOFOLLOW) (an attribute that is a symbolic link is an V(error), not written), a
    type directory is never followed out of its parent's C(mdev_supported_types), and an unusable entry of
    C(class/mdev_bus) (dangling or escaping link) is an V(error) record for that parent while the others are probed.
  - Each distinct attribute is written once per source version, even when a parent is named twice or two requests
    meet on one attribute; the later records repeat the first one's verdict with a note.
options:
  source_version:
    description:
      - The migration version read on the source (C(ansible_facts.mdev.parents[parent].types[type].migration.version)
        gathered by M(vfio.mdev_migration.mdev_facts)). Printable ASCII, 1 to 4096 bytes, not whitespace only, without
        NUL, newline or other control characters; one trailing newline is stripped. The same rule as the facts apply to
        gathered versions.
      - Must be a string. A number, boolean, list or mapping is refused rather than converted (YAML reads an unquoted
        V(1.10) as the number 1.1), so quote it.
      - Mutually exclusive with O(probes).
    type: raw
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
      - Several probes in one call, for a VM with several mdevs or for many versions of one type.
      - Each item is a mapping with the keys C(source_version) (required, as O(source_version)), C(type_id) or
        C(device) (exactly one, as O(type_id) and O(device)), and C(parents) (optional, as O(parents)). Any other key,
        an item that is not a mapping, or a value of the wrong type is refused with a message naming it (for example
        C(probes[1].type_id)), before anything is written.
      - Mutually exclusive with O(source_version).
    type: list
    elements: raw
  attribute:
    description:
      - Which attribute to probe. V(auto) uses C(migration_version) where it exists, else C(version).
    type: str
    choices: [auto, migration_version, version]
    default: auto
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vfio.mdev_migration._host_root
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
  - "Writing to sysfs needs root on a real host (version attributes are mode 0644, owned by root); run the module with
    C(become: true) (the migration_gate role: C(migration_gate_become: true)). Without it every probe is an V(error)
    whose message says so."
  - The records are returned as RV(records), not C(results), which ansible-core reserves for loops; a probe run in a
    loop keeps its records under C(results[i].records).
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
records:
  description:
    - One record per attribute probed, per parent that could not be probed, and per request that found nothing to
      probe, in request order.
    - Named C(records), not C(results), because ansible-core reserves C(results) for loops.
  returned: always
  type: list
  elements: dict
  contains:
    probe:
      description: Index of the probe request this record belongs to (0 with O(source_version)).
      type: int
      sample: 0
    parent:
      description: Parent device name, or null when no parent offers the type (or the parent list failed).
      type: str
      sample: "0000:3b:00.0"
    type_id:
      description: The mdev type, or null for a device probe whose device or type link is unusable.
      type: str
      sample: nvidia-222
    device:
      description: The device UUID for a device probe, else null.
      type: str
    attribute:
      description: V(migration_version), V(version), or null when there is no attribute to probe.
      type: str
    path:
      description:
        - Absolute path of the attribute probed, as named through the links (C(class/mdev_bus/<parent>/...) or
          C(bus/mdev/devices/<uuid>/...)); for an V(error) record about an unusable entry, the path of that entry;
          null when there is no attribute.
      type: str
    source_version:
      description: The version probed, without a trailing newline.
      type: str
    verdict:
      description:
        - V(compatible) the kernel accepted every byte.
        - V(incompatible) the driver refused with C(EINVAL).
        - V(unsupported) no attribute, a read failing with C(ENOENT)/C(ENODEV)/C(EOPNOTSUPP), or
          C(ENOENT)/C(ENODEV)/C(EOPNOTSUPP) on write.
        - V(error) anything else, with nothing decided - permission (C(EACCES)/C(EPERM), the message says to use
          C(become)), I/O, a short write, an attribute that is a symbolic link (C(ELOOP)), an entry that dangles or
          leaves the root (C(ENOENT)/C(EXDEV)).
      type: str
      choices: [compatible, incompatible, unsupported, error]
    errno:
      description: Name of the errno of the failed read or write, or of the unusable entry; null otherwise.
      type: str
      sample: EINVAL
    written:
      description: Bytes the kernel accepted, or null when the write failed or was not made (also for a record that
        repeats an earlier one's verdict).
      type: int
      sample: 30
    message:
      description: What happened, in words.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.mdev_migration.plugins.module_utils._probe import execute, plan, summarize
from ansible_collections.vfio.mdev_migration.plugins.module_utils._probe_input import ATTRIBUTE_CHOICES, ProbeInputError
from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs, root_problem


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source_version=dict(type="raw"),
            type_id=dict(type="str"),
            device=dict(type="str"),
            parents=dict(type="list", elements="str", default=[]),
            # Items are checked by _probe.plan, which names the bad item and key; ansible-core's own
            # conversion of a non-mapping item says only "dictionary requested".
            probes=dict(type="list", elements="raw"),
            attribute=dict(type="str", choices=list(ATTRIBUTE_CHOICES), default="auto"),
            host_root=dict(type="path", default="/"),
            sysfs_root=dict(type="path"),
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
    problem = root_problem(params["host_root"], "host_root")
    if problem:
        module.fail_json(msg=problem)
    root = params["sysfs_root"]
    if root is None:
        root = params["host_root"].rstrip("/") + "/sys"
    problem = root_problem(root, "sysfs_root")
    if problem:
        module.fail_json(msg=problem)
    fs = Sysfs(root)
    try:
        planned = plan(fs, requests, params["attribute"], itemized=bool(params["probes"]))
    except ProbeInputError as exc:
        module.fail_json(msg=str(exc))
    records = execute(fs, planned)
    summary = summarize(requests, records)
    parents = sorted(set(p for s in summary for p in s["compatible_parents"]))
    module.exit_json(
        changed=False,
        compatible=any(s["compatible"] for s in summary),
        compatible_parents=parents,
        probes=summary,
        records=records,
    )


if __name__ == "__main__":
    main()
