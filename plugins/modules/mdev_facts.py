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
  - Parents (devices under C(class/mdev_bus)) with their bus, subsystem, driver, driver module, driver version, whether
    that module is in-tree, PCI identity and NUMA node; the
    mdev types each parent offers with all their attributes, free instances and created devices; each type's and
    each device's migration version attribute (C(migration_version) or C(version)) and whether migration is
    supported; NVIDIA vendor-specific VFIO virtual functions (kernel 6.8 and later, no mdev); the host's identity
    (kernel release, boot id, machine id) with the path each was read from, and when the facts were gathered.
  - Every attribute that cannot be read is listed in RV(ansible_facts.mdev.errors) with its path and errno, and the
    scan goes on. A host without any mdev returns empty dictionaries, not an error.
  - Results are returned as C(ansible_facts.mdev), so they can be cached with Ansible fact caching and used by the
    collection's filters without a live connection.
options:
  gather_subset:
    description:
      - Which parts to gather. V(all) or any of V(types), V(devices), V(versions), V(pci), V(vendor_vfio),
        V(libvirt), V(mdevctl); prefix a name with V(!) to leave it out (V(!vendor_vfio) gathers everything else).
      - V(libvirt) reads the host's VMs (domains) and the mdevs and VFs each holds, through C(virsh -r) (read-only)
        at O(libvirt_uri). It is never fatal - without C(virsh) or a connection, RV(ansible_facts.mdev.libvirt.error)
        says why and the other facts stand.
      - V(mdevctl) reads mdevctl's persistent definitions from O(mdevctl_config_dir).
      - V(!all) gathers none of them (V([!all, types]) only types); a list of negations of names only, such as
        V([!pci]), starts from all.
      - Parents with their bus, subsystem and driver facts, and the host's identity (kernel release, boot id,
        machine id) are always gathered.
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
  libvirt_uri:
    description:
      - The libvirt connection to read the VMs from, opened read-only (C(virsh -r -c)).
      - The simulator's inventory sets a V(test:///...) URI per host (libvirt's test driver).
    type: str
    default: qemu:///system
    version_added: 0.2.0
  mdevctl_config_dir:
    description:
      - mdevctl's configuration directory, one directory per parent holding one JSON file per defined device.
      - Default C(<host_root>/etc/mdevctl.d); when that does not exist, the host has no definitions. A directory given
        here must exist.
    type: path
    version_added: 0.2.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
  - vfio.mdev_migration._host_root
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

- name: Gather facts from a simulated host (tools/mdev-sim's inventory sets host_root and a libvirt test-driver URI)
  vfio.mdev_migration.mdev_facts:
    host_root: "{{ host_root }}"
    libvirt_uri: "{{ libvirt_uri }}"

- name: Show which VM holds each mdev
  ansible.builtin.debug:
    msg: "{{ ansible_facts.mdev.devices | dict2items | map(attribute='value.domain') | list }}"

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
          description:
            - Version of this fact layout; it changes only when a key changes meaning or goes away (V(2) - a VF's
              C(current_type) V(0) means free and null unreadable; C(migration.supported) null may mean a failed read).
          type: int
          returned: always
          sample: 2
        gathered_at: {type: str, returned: always, sample: "2026-11-27T17:40:05Z",
          description: "When the facts were gathered, in UTC, ISO 8601 to the second with a C(Z)."}
        host_root: {type: str, returned: always, sample: "/",
          description: "The host root that was read (O(host_root)), with links resolved."}
        sysfs_root: {type: str, returned: always, sample: "/sys",
          description: "The sysfs root that was read, with links resolved."}
        kernel_release:
          description:
            - Release of the kernel, from C(<host_root>/proc/sys/kernel/osrelease) (or C(uname(2)) when O(host_root)
              is V(/) and that file cannot be read).
            - Null when it cannot be read; the error is in RV(ansible_facts.mdev.errors).
          type: str
          returned: always
          sample: 6.8.0-51-generic
        boot_id:
          description:
            - The boot id of the running kernel, from C(<host_root>/proc/sys/kernel/random/boot_id), a lower-case
              UUID. It changes at every boot, so facts with another boot id describe another boot.
            - Null when it cannot be read or is not a UUID; the error is in RV(ansible_facts.mdev.errors).
          type: str
          returned: always
          sample: 3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b
        machine_id:
          description:
            - The machine identity, from C(<host_root>/etc/machine-id), 32 lower-case hexadecimal digits. Two
              inventory names with one machine id are one machine.
            - Null when it cannot be read or is not a machine id; the error is in RV(ansible_facts.mdev.errors).
          type: str
          returned: always
          sample: 0f6c2b5e9d8a4b7c8e1f2a3b4c5d6e7f
        sources:
          description:
            - Where each host identity fact was read from. A path is the absolute path read (also when the value is
              null because it could not be read); V(uname) for a kernel release taken from C(uname(2)).
          type: dict
          returned: always
          sample: {"kernel_release": "/proc/sys/kernel/osrelease", "boot_id": "/proc/sys/kernel/random/boot_id",
                   "machine_id": "/etc/machine-id", "sysfs_root": "/sys"}
          contains:
            kernel_release: {description: "Source of RV(ansible_facts.mdev.kernel_release).", type: str}
            boot_id: {description: "Source of RV(ansible_facts.mdev.boot_id).", type: str}
            machine_id: {description: "Source of RV(ansible_facts.mdev.machine_id).", type: str}
            sysfs_root: {description: "The sysfs root read, as RV(ansible_facts.mdev.sysfs_root).", type: str}
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
          sample: {"0000:3b:00.0": {"bus": "pci", "subsystem": "pci", "driver": "nvidia", "driver_module": "nvidia",
                                    "driver_version": "550.54.10", "driver_in_tree": false}}
          contains:
            bus: {type: str, sample: pci,
              description: "Bus of the parent (V(pci)), or null for a parent that is not on a bus (sample drivers)."}
            subsystem:
              description:
                - Base name of the target of the parent's C(subsystem) link (V(pci), V(mtty), V(mdpy)).
                - Null when the link is missing, dangling or escapes O(sysfs_root) (recorded in
                  RV(ansible_facts.mdev.errors)).
              type: str
              sample: pci
            driver: {description: "Name of the bound driver, or null.", type: str, sample: nvidia}
            driver_module:
              description:
                - Kernel module of the driver (target of C(driver/module), else C(module/<driver>) when it exists).
                - Null when no driver is bound or no module is known.
              type: str
              sample: nvidia
            driver_version: {type: str, sample: 550.54.10,
              description: "Version of the driver's kernel module from C(module/<module>/version), or null."}
            driver_in_tree:
              description:
                - True when C(module/<module>/taint) reads without C(O) (an in-tree module), false when it has C(O)
                  (out-of-tree, as vendor GPU drivers are).
                - Null when there is no module or its taint file cannot be read (an error other than absence is
                  recorded in RV(ansible_facts.mdev.errors)). Null is unknown, never equal to another null.
              type: bool
              sample: false
            pci:
              description: PCI identity of the parent; null for a non-PCI parent or when the C(pci) subset was not gathered.
              type: dict
              contains: &pci_ids
                vendor_id: {description: "PCI vendor id, lower-case hex without C(0x).", type: str, sample: 10de}
                device_id: {description: "PCI device id, lower-case hex without C(0x).", type: str, sample: 1eb8}
                subsystem_vendor_id: {description: "PCI subsystem vendor id, lower-case hex.", type: str}
                subsystem_device_id: {description: "PCI subsystem device id, lower-case hex.", type: str}
                revision: {description: "PCI revision, lower-case hex.", type: str}
            numa_node: {type: int, sample: 0,
              description: "NUMA node of the parent, or null when the parent has no C(numa_node) attribute."}
            types:
              description: mdev types the parent offers, keyed by type-id.
              type: dict
              contains:
                name: {type: str, sample: "GRID T4-2Q",
                  description: "The type's C(name), or null when the driver has none."}
                description: {description: "The type's C(description), or null when the driver has none.", type: str}
                device_api: {description: "The VFIO device API of the type.", type: str, sample: vfio-pci}
                available_instances: {type: int, sample: 4,
                  description: "How many more devices of this type can be created now (capacity, not compatibility)."}
                devices: {type: list, elements: str,
                  description: "UUIDs of the devices created from this type on this parent."}
                migration:
                  description: The type's migration version attribute. Present when the V(versions) subset is gathered.
                  type: dict
                  contains: &migration_keys
                    attribute: {type: str,
                      description: "V(migration_version), V(version), or null when the type publishes neither."}
                    version:
                      description:
                        - The value read, or null when it could not be read or is not a valid migration version
                          (empty, whitespace only, control characters, not ASCII, over 4096 bytes), by the rule the
                          probe applies before writing.
                      type: str
                      sample: 10de-1eb8-nvidia-222-550.54.10
                    supported:
                      description:
                        - V(true) the attribute reads and holds a valid version.
                        - V(false) the read fails with C(ENODEV) or C(EOPNOTSUPP), the RFC's "migration unsupported".
                        - Null when there is no attribute (C(attribute) and C(errno) null too), or when the read failed
                          otherwise (C(EIO), C(EACCES), C(EILSEQ), C(EOVERFLOW) ...) or the value is not a valid version
                          (C(errno) V(EINVAL)); then C(errno) is set and the error is in RV(ansible_facts.mdev.errors).
                      type: bool
                    errno: {type: str, sample: ENODEV,
                      description: "Name of the errno of a failed read (V(EINVAL) for an invalid value), or null."}
        devices:
          description: Created mdev devices, keyed by UUID, from C(bus/mdev/devices).
          type: dict
          returned: always
          contains:
            parent: {description: "Name of the parent device.", type: str}
            type_id: {description: "Type-id of the device, from its C(mdev_type) link.", type: str}
            migration: {type: dict, contains: *migration_keys,
              description: "The device-level migration version attribute, with the same keys as a type's C(migration)."}
            domain:
              description:
                - Name of the running (or paused) VM that holds the device, null when none does.
                - Present only when the V(libvirt) subset was gathered and RV(ansible_facts.mdev.libvirt.available) is
                  true; without it, which VM holds a device is unknown.
              type: str
              sample: web01
        vendor_vfio:
          description:
            - NVIDIA vendor-specific VFIO virtual functions (Ada Lovelace, Hopper and newer on kernel 6.8 and later),
              keyed by the VF's PCI address. Empty on hosts without them.
          type: dict
          returned: always
          contains:
            physfn: {description: "PCI address of the physical GPU the VF belongs to.", type: str}
            creatable_types:
              description: vGPU types that can be created on the VF now, a mapping of type id (a decimal string) to profile name.
              type: dict
              sample: {"1428": "NVIDIA H200X-141C"}
            current_type:
              description:
                - The vGPU type id in use on the VF (C(nvidia/current_vgpu_type)); V(0) when no vGPU is in use.
                - Null when it cannot be read or is not a decimal integer (recorded in RV(ansible_facts.mdev.errors)),
                  which means unknown, not free.
              type: int
              sample: 0
            pci: {description: "PCI identity of the physical GPU, as a parent's C(pci).", type: dict, contains: *pci_ids}
            numa_node: {description: "NUMA node of the physical GPU, or null.", type: int}
            subsystem: {description: "Subsystem of the physical GPU, as a parent's C(subsystem).", type: str}
            driver: {description: "Driver bound to the physical GPU.", type: str}
            driver_module: {description: "Kernel module of that driver, as a parent's C(driver_module).", type: str}
            driver_version: {description: "Version of that driver's module, or null.", type: str}
            driver_in_tree: {type: bool,
              description: "Whether that module is in-tree, as a parent's C(driver_in_tree)."}
        libvirt:
          description: How the VMs were read. Null when the V(libvirt) subset was not gathered.
          type: dict
          returned: always
          sample: {"uri": "qemu:///system", "available": true, "error": null}
          contains:
            uri: {description: "The connection read (O(libvirt_uri)).", type: str}
            available: {description: "Whether the domains could be listed. False: RV(ansible_facts.mdev.domains) is
                empty because nothing is known, not because there are no VMs.", type: bool}
            error: {description: "Why libvirt could not be read (no C(virsh), a refused connection), or a domain that
                could not be read; null when all went well.", type: str}
        domains:
          description:
            - The host's VMs (libvirt domains, running or not), keyed by name. Empty when the V(libvirt) subset was not
              gathered or libvirt could not be read (see RV(ansible_facts.mdev.libvirt)).
          type: dict
          returned: always
          sample: {"web01": {"uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f", "state": "running", "active": true,
                             "persistent": true, "mdevs": ["6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"], "vfs": []}}
          contains:
            uuid: {description: "The domain's UUID.", type: str}
            state: {description: "The state virsh gives (V(running), V(paused), V(shut off) ...).", type: str}
            active: {description: "Whether the domain runs now (running, paused ...): it holds its devices.", type: bool}
            persistent: {description: "Whether the domain is defined (persistent) or transient.", type: bool}
            mdevs: {description: "UUIDs of the mdevs of its C(<hostdev type='mdev'>) devices.", type: list, elements: str}
            vfs:
              description:
                - PCI addresses of its C(<hostdev type='pci'>) devices that are vendor-VFIO virtual functions of this
                  host (RV(ansible_facts.mdev.vendor_vfio)).
                - Null when the V(vendor_vfio) subset was not gathered, so which are VFs is unknown.
              type: list
              elements: str
            other_hostdevs:
              description:
                - Every other host device it holds - a PCI device that is not one of this host's vendor-VFIO VFs (also
                  given as C(<interface type='hostdev'>)), USB, SCSI - described in a few words. A VM with any is not
                  gated by the collection (its migration is not judged here).
              type: list
              elements: str
              sample: ["pci 0000:02:00.0 (not a vendor-VFIO VF of this host)"]
        mdevctl:
          description: How mdevctl's definitions were read. Null when the V(mdevctl) subset was not gathered.
          type: dict
          returned: always
          sample: {"config_dir": "/etc/mdevctl.d", "available": true, "error": null, "unreadable_parents": [],
                   "duplicates": []}
          contains:
            config_dir: {description: "The configuration directory read (O(mdevctl_config_dir)).", type: str}
            available: {description: "Whether the directory exists and could be listed.", type: bool}
            error: {description: "Errno name when the directory exists but cannot be listed (every reservation is
                then unknown); null otherwise.", type: str}
            unreadable_parents: {description: "Parents whose directory of definitions cannot be listed; their
                reservations are unknown.", type: list, elements: str}
            duplicates: {description: "Definitions of a UUID that is already defined under another parent (mdevctl
                allows it), with the keys of RV(ansible_facts.mdev.defined) and C(uuid).", type: list, elements: dict}
        defined:
          description:
            - mdevctl's persistent definitions, keyed by UUID (file names in every form mdevctl reads - hyphenated,
              32 digits, braced, C(urn:uuid:) - are given hyphenated, in lower case). A definition with C(start) V(auto) that is not active is
              created at the next boot, so it reserves an instance of its type on its parent.
            - A device in RV(ansible_facts.mdev.devices) without a definition is transient (gone at reboot).
          type: dict
          returned: always
          sample: {"6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01": {"parent": "0000:3b:00.0", "type_id": "nvidia-222",
                   "start": "auto", "active": true, "attrs": [], "error": null}}
          contains:
            parent: {description: "The parent the definition is under.", type: str}
            type_id: {description: "Its mdev type, null when the file cannot be read or is not a definition.", type: str}
            start: {description: "V(auto) (created at boot) or V(manual); null when unreadable.", type: str}
            active: {description: "Whether the device exists now as defined - C(bus/mdev/devices/<uuid>) on this
                parent with this type, as mdevctl decides it; null when the file cannot be read.", type: bool}
            attrs: {description: "Its attributes, a list of single-key mappings, as mdevctl keeps them.", type: list,
                    elements: dict}
            error: {description: "Errno name when the file cannot be read (V(EINVAL) when it is not a definition);
                then its parent's reservations are unknown.", type: str}
        errors:
          description: Every attribute that could not be read. The scan went on past each.
          type: list
          elements: dict
          returned: always
          sample: [{"path": "/sys/devices/pci0000:00/0000:3b:00.0/numa_node", "errno": "EIO",
                    "message": "Input/output error"}]
          contains:
            path: {description: "Absolute path of the attribute.", type: str}
            errno:
              description: Name of the errno; V(EXDEV) for a path resolving outside C(sysfs_root), V(EILSEQ) for a value
                that is not UTF-8, V(EOVERFLOW) for a value over 4096 bytes, V(EINVAL) for a value that should be a
                decimal integer, a migration version, a boot id or a machine id and is not.
              type: str
            message:
              description: What went wrong, in words.
              type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts import (
    SubsetError,
    default_sysfs_root,
    gather_facts,
    resolve_subset,
)
from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts_libvirt import DEFAULT_URI
from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import root_problem


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host_root=dict(type="path", default="/"),
            sysfs_root=dict(type="path"),
            gather_subset=dict(type="list", elements="str", default=["all"]),
            parents=dict(type="list", elements="str", default=[]),
            libvirt_uri=dict(type="str", default=DEFAULT_URI),
            mdevctl_config_dir=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    host_root = module.params["host_root"]
    problem = root_problem(host_root, "host_root")
    if problem:
        module.fail_json(msg=problem)
    root = module.params["sysfs_root"]
    if root is None:
        root = default_sysfs_root(host_root)
    problem = root_problem(root, "sysfs_root" if module.params["sysfs_root"] is not None
                           else "sysfs_root (default <host_root>/sys)")
    if problem:
        module.fail_json(msg=problem)
    if module.params["mdevctl_config_dir"] is not None:
        # Given explicitly, a path that is not a directory is a mistake, not "no definitions".
        problem = root_problem(module.params["mdevctl_config_dir"], "mdevctl_config_dir")
        if problem:
            module.fail_json(msg=problem)
    try:
        subset = resolve_subset(module.params["gather_subset"])
    except SubsetError as exc:
        module.fail_json(msg=str(exc))
    facts = gather_facts(root, subset, module.params["parents"], host_root=host_root,
                         libvirt_uri=module.params["libvirt_uri"],
                         virsh=module.get_bin_path("virsh") if "libvirt" in subset else None,
                         run=module.run_command, mdevctl_dir=module.params["mdevctl_config_dir"])
    module.exit_json(changed=False, ansible_facts={"mdev": facts})


if __name__ == "__main__":
    main()
