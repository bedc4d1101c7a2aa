# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: probe_requests
short_description: The probes to run on a target for a VM's mdev devices
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Builds the list to pass as O(vfio.mdev_migration.mdev_version_probe#module:probes), in one of two ways.
  - From a source host's mdev facts and a VM's O(devices) - one C(type_id) and C(source_version) per type of the VM's
    devices that publishes a migration version. Devices whose type publishes none, and vendor-VFIO VFs, cannot be
    probed and are left out.
    The type-level version is used, because the probe runs on targets before any device exists there.
  - From a target host's mdev facts and O(versions) (type-id to the versions to ask about, for example every version
    a fleet publishes) - one request per version of each type the host offers.
positional: devices
options:
  _input:
    description: The source host's hostvars, or its mdev facts.
    type: dict
    required: true
  devices:
    description: The VM's mdev UUIDs on the source. Default - every mdev device of the source.
    type: list
    elements: str
  versions:
    description:
      - Type-id to a list of versions (or a mapping whose keys are versions). The input is then the target's facts.
      - Mutually exclusive with O(devices).
    type: dict
seealso:
  - module: vfio.mdev_migration.mdev_version_probe
"""

EXAMPLES = r"""
- name: Probe every mdev of the VM in one call
  vfio.mdev_migration.mdev_version_probe:
    probes: "{{ hostvars['gpu-a1'] | vfio.mdev_migration.probe_requests(['6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01']) }}"
  become: true

- name: Ask this host about every version of its types found in the fleet
  vfio.mdev_migration.mdev_version_probe:
    probes: "{{ ansible_facts.mdev | vfio.mdev_migration.probe_requests(versions=fleet_versions) }}"
  vars:
    fleet_versions:
      nvidia-222: [10de-1eb8-nvidia-222-550.54.10, 10de-1eb8-nvidia-222-550.90.07]
  become: true
"""

RETURN = r"""
_value:
  description: Probe requests, each with C(type_id) and C(source_version), in the order of the devices.
  type: list
  elements: dict
"""

from ansible_collections.vfio.mdev_migration.plugins.module_utils._policy import mdev_facts_of
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._selection import fail, validate

SPEC = {"devices": {"type": "list", "elements": "str"}, "versions": {"type": "dict"}}


def _probe_requests(data, *args, **kwargs):
    plugin = "probe_requests"
    if args:
        kwargs["devices"] = args[0]
    params = validate(plugin, SPEC, kwargs)
    facts = mdev_facts_of(data)
    if facts is None:
        fail(plugin, "the input has no mdev facts")
    if params["versions"] is not None:
        if params["devices"] is not None:
            fail(plugin, "give devices or versions, not both")
        return _for_versions(plugin, facts, params["versions"])
    devices = facts.get("devices") or {}
    wanted = params["devices"] if params["devices"] is not None else sorted(devices)
    requests, seen = [], set()
    for uuid in wanted:
        if uuid in (facts.get("vendor_vfio") or {}):
            continue    # vendor-VFIO VFs publish no version attribute: nothing to probe
        if uuid not in devices:
            fail(plugin, "device %s is neither an mdev device nor a vendor-VFIO VF of the source" % uuid)
        dev = devices[uuid]
        mtype = ((facts.get("parents") or {}).get(dev.get("parent")) or {}).get("types", {}).get(dev.get("type_id")) or {}
        mig = mtype.get("migration") or {}
        if mig.get("supported") and mig.get("version") is not None:
            key = (dev["type_id"], mig["version"])
            if key not in seen:
                seen.add(key)
                requests.append({"type_id": dev["type_id"], "source_version": mig["version"]})
    return requests


def _for_versions(plugin, facts, versions):
    offered = set()
    for parent in (facts.get("parents") or {}).values():
        offered.update((parent.get("types") or {}).keys())
    requests = []
    for type_id in sorted(offered):
        wanted = versions.get(type_id) or []
        if isinstance(wanted, str):
            fail(plugin, "versions.%s must be a list of versions or a mapping keyed by version" % type_id)
        for version in sorted(str(v) for v in wanted):
            requests.append({"type_id": type_id, "source_version": version})
    return requests


class FilterModule(object):
    def filters(self):
        return {"probe_requests": _probe_requests}
