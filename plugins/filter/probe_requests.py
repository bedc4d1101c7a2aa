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
  - From a source host's mdev facts and a VM's O(devices) - one C(type_id) and C(source_version) per version the
    devices publish, type-level and device-level alike (a target must accept every one of them). Devices whose type
    publishes none, and vendor-VFIO VFs, cannot be probed and are left out. The probe is made at type level on the
    targets, because it runs before any device exists there.
  - From a target host's mdev facts and O(versions) (type-id to the versions to ask about, for example every version
    a fleet publishes) - one request per version of each type the host offers.
positional: devices
options:
  _input:
    description: The source host's hostvars, or its mdev facts.
    type: dict
    required: true
  devices:
    description: The VM's mdev UUIDs on the source (one, or a list). Default - every mdev device of the source.
    type: raw
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

from collections.abc import Mapping

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import version_problem
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _source
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import mdev_facts_of
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._targets import device_list
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import KIND_VENDOR_VFIO, PolicyInputError

ARGS = PluginArgs(DOCUMENTATION)


def probe_requests(data, *args, **kwargs):
    params = ARGS.validate(args, kwargs)
    facts = mdev_facts_of(data)
    if facts is None:
        ARGS.fail("the input has no mdev facts (give a host's hostvars or its ansible_facts.mdev)")
    if params["versions"] is not None:
        if params["devices"] is not None:
            ARGS.fail("give devices or versions, not both")
        return _for_versions(facts, params["versions"])
    wanted = device_list(ARGS, params["devices"]) if params["devices"] is not None \
        else sorted(facts.get("devices") or {})
    requests, seen = [], set()
    for device in wanted:
        try:
            source = _source.from_facts(facts, device)
        except PolicyInputError as exc:
            ARGS.fail(str(exc))
        if source["kind"] == KIND_VENDOR_VFIO:
            continue    # vendor-VFIO VFs publish no version attribute: nothing to probe
        for version in _source.versions_to_probe(source):
            if (source["type_id"], version) not in seen:
                seen.add((source["type_id"], version))
                requests.append({"type_id": source["type_id"], "source_version": version})
    return requests


def _for_versions(facts, versions):
    offered = set()
    for parent in (facts.get("parents") or {}).values():
        offered.update((parent.get("types") or {}).keys())
    requests = []
    for type_id in sorted(offered):
        wanted = versions.get(type_id) or []
        if not isinstance(wanted, (list, tuple, Mapping)):
            ARGS.fail("versions.%s must be a list of versions or a mapping keyed by version" % type_id)
        for version in wanted:
            problem = version_problem(version)
            if problem:
                ARGS.fail("versions.%s: %r is not a migration version: it %s" % (type_id, version, problem))
        for version in sorted(str(v) for v in wanted):
            requests.append({"type_id": type_id, "source_version": version})
    return requests


class FilterModule(object):
    def filters(self):
        return {"probe_requests": probe_requests}
