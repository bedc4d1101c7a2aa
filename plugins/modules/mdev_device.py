#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mdev_device
short_description: Create or remove one mdev, and optionally its mdevctl definition
version_added: 0.2.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Makes the mediated device O(uuid) present (of type O(type_id), on O(parent) or on the first of O(parents) that
    offers the type with a free instance) or absent, through the kernel's sysfs interface, as C(mdevctl start) and
    C(mdevctl stop) do.
  - A device is created with one C(write(2)) of its UUID to
    C(class/mdev_bus/<parent>/mdev_supported_types/<type_id>/create), and removed with one C(write(2)) of C(1) to
    C(bus/mdev/devices/<uuid>/remove). With O(persist=true) its mdevctl definition is written (or removed) too. No
    other file is ever written, and nothing outside O(sysfs_root) and O(mdevctl_config_dir).
  - All input is validated, and the device, the type's C(available_instances) and mdevctl's definitions of O(uuid) are
    read, before anything is written; a task that cannot succeed (type not offered, no free instance, the UUID already
    used by a device of another type or parent) fails with a message naming the input, and writes nothing.
  - Idempotent. O(state=present) with a device of that UUID, type and parent already there changes nothing;
    O(state=absent) without the device changes nothing.
options:
  uuid:
    description:
      - UUID of the device (8-4-4-4-12 hexadecimal digits, either case; the kernel and mdevctl name it in lower case).
    type: str
    required: true
  state:
    description:
      - V(present) the device exists (created if missing). V(absent) it does not (removed if there).
    type: str
    choices: [present, absent]
    default: present
  type_id:
    description:
      - The mdev type, as named under C(mdev_supported_types) (for example V(nvidia-222)). Required with
        O(state=present).
      - With O(state=absent), when given, an existing device (or definition) of another type is an error, not removed.
    type: str
  parent:
    description:
      - The parent device to create the device on, as named under C(class/mdev_bus) (for example V(0000:3b:00.0)).
      - One of O(parent) and O(parents) is required with O(state=present). With O(state=absent), when given, a device
        (or definition) on another parent is an error, not removed.
    type: str
  parents:
    description:
      - Parents to choose from, in order of preference; the device is created on the first one that offers O(type_id)
        with a free instance (C(available_instances) above 0). A device already on any of them satisfies
        O(state=present).
    type: list
    elements: str
  persist:
    description:
      - Whether O(state) applies to mdevctl's persistent definition of the device too.
      - V(true) with O(state=present) writes C(<mdevctl_config_dir>/<parent>/<uuid>) byte for byte as
        C(mdevctl define) writes it (mdevctl 1.2.0 - C(mdev_type), O(start), C(attrs) C([]), 2-space JSON indent),
        and rewrites an existing definition of the same parent and type whose O(start) differs (its C(attrs) kept).
        V(true) with O(state=absent) also removes the definitions of O(uuid).
      - V(false) never writes nor removes a definition, so it never leaves one behind that it created, and never
        touches one made by mdevctl or by hand; any definition of O(uuid) is only reported in RV(persisted).
      - A definition of O(uuid) under another parent or with another type is an error with V(true); nothing is
        written.
    type: bool
    default: false
  start:
    description:
      - The definition's C(start) with O(persist=true) - V(auto) (mdevctl creates the device at boot) or V(manual).
    type: str
    choices: [auto, manual]
    default: manual
  mdevctl_config_dir:
    description:
      - mdevctl's configuration directory; defaults to C(<host_root>/etc/mdevctl.d). It must exist for O(persist=true)
        (the mdevctl package creates it). A parent's directory in it is created when missing.
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vfio.mdev_migration._host_root
attributes:
  check_mode:
    support: full
    details: Reads everything and reports what would change; writes nothing at all.
  diff_mode:
    support: full
    details: Before and after - whether the device exists, its parent and type, and whether mdevctl defines it.
  platform:
    support: full
    platforms: linux
notes:
  - "Creating and removing mdevs, and writing C(/etc/mdevctl.d), needs root on a real host (C(create) and C(remove)
    are mode 0200, owned by root): run the module with C(become: true). Without it the write fails with C(EACCES)
    and the message says so."
  - The kernel refuses a UUID already used by any mdev of the host (C(EEXIST)) and a type without a free instance
    (C(EUSERS)); a parent that takes one type at a time (NVIDIA vGPU on a time-sliced GPU) shows 0 free instances for
    its other types while it holds a device, and its driver refuses them.
  - A device in use by a VM may be refused removal by its driver; the errno is in the message.
seealso:
  - module: vfio.mdev_migration.mdev_facts
  - name: mdevctl
    description: mdevctl, the tool that manages mdevs and their persistent definitions.
    link: https://github.com/mdevctl/mdevctl
"""

EXAMPLES = r"""
- name: Create a T4-2Q vGPU on the first GPU with a free instance, defined to start at boot
  vfio.mdev_migration.mdev_device:
    uuid: 0b5fd3fb-2389-4a22-ba70-52969a26b9d5
    type_id: nvidia-222
    parents: ["0000:3b:00.0", "0000:af:00.0"]
    persist: true
    start: auto
  become: true
  register: vgpu

- name: Show where it was created
  ansible.builtin.debug:
    msg: "{{ vgpu.uuid }} is on {{ vgpu.parent }}, persisted: {{ vgpu.persisted }}"

- name: Remove it and its mdevctl definition
  vfio.mdev_migration.mdev_device:
    uuid: 0b5fd3fb-2389-4a22-ba70-52969a26b9d5
    state: absent
    persist: true
  become: true

- name: Check whether a vGPU could be created, without creating it
  vfio.mdev_migration.mdev_device:
    uuid: 0b5fd3fb-2389-4a22-ba70-52969a26b9d6
    type_id: nvidia-223
    parent: "0000:3b:00.0"
  become: true
  check_mode: true
  register: would
"""

RETURN = r"""
changed:
  description: True when the device was created or removed, or a definition written or removed (in check mode, would
    be).
  returned: always
  type: bool
uuid:
  description: The device's UUID, in lower case.
  returned: always
  type: str
  sample: 0b5fd3fb-2389-4a22-ba70-52969a26b9d5
state:
  description: The state asked for.
  returned: always
  type: str
  sample: present
exists:
  description: Whether the device exists after the task (in check mode, would exist).
  returned: always
  type: bool
  sample: true
parent:
  description: The device's parent after the task, or null when it does not exist.
  returned: always
  type: str
  sample: "0000:3b:00.0"
type_id:
  description: The device's type after the task, or null when it does not exist.
  returned: always
  type: str
  sample: nvidia-222
persisted:
  description: Whether mdevctl defines the device after the task (with O(persist=false), whether it did already).
  returned: always
  type: bool
  sample: true
steps:
  description:
    - What was done (in check mode, what would be done), in order - V(create), V(remove), V(mkdir) (a parent's
      directory in O(mdevctl_config_dir)), V(define), V(undefine). Empty when nothing changed.
    - When the task fails after some steps, the failure result lists the steps made.
  returned: always
  type: list
  elements: str
  sample: [create, define]
diff:
  description: With C(--diff), C(before) and C(after), each with C(exists), C(parent), C(type_id), C(persisted).
  returned: when diff mode is on
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.mdev_migration.plugins.module_utils._mdev_device import DeviceError, apply, plan, validate
from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs, root_problem


def main():
    module = AnsibleModule(
        argument_spec=dict(
            uuid=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            type_id=dict(type="str"),
            parent=dict(type="str"),
            parents=dict(type="list", elements="str"),
            persist=dict(type="bool", default=False),
            start=dict(type="str", choices=["auto", "manual"], default="manual"),
            mdevctl_config_dir=dict(type="path"),
            host_root=dict(type="path", default="/"),
            sysfs_root=dict(type="path"),
        ),
        mutually_exclusive=[["parent", "parents"]],
        supports_check_mode=True,
    )
    params = module.params
    try:
        want = validate(params)
    except DeviceError as exc:
        module.fail_json(msg=str(exc))
    for name in ("host_root", "sysfs_root"):
        problem = root_problem(params[name], name) if name == "host_root" or params[name] is not None else None
        if problem:
            module.fail_json(msg=problem)
    host_root = params["host_root"].rstrip("/")
    root = params["sysfs_root"] or host_root + "/sys"
    problem = root_problem(root, "sysfs_root")
    if problem:
        module.fail_json(msg=problem)
    config_dir = params["mdevctl_config_dir"] or host_root + "/etc/mdevctl.d"
    # A missing directory: no definitions to read; persist then fails with a message.
    config = Sysfs(config_dir) if os.path.isdir(config_dir) else None
    fs = Sysfs(root)
    try:
        before, after, steps = plan(fs, config, want)
    except DeviceError as exc:
        module.fail_json(msg=str(exc), uuid=want["uuid"], steps=[])
    result = dict(changed=bool(steps), uuid=want["uuid"], state=want["state"], steps=[s[0] for s in steps], **after)
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    if not module.check_mode and steps:
        try:
            apply(fs, config, want["uuid"], steps)
        except DeviceError as exc:
            module.fail_json(msg=str(exc), changed=bool(exc.done), uuid=want["uuid"], steps=exc.done)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
