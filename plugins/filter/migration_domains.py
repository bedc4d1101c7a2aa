# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: migration_domains
short_description: Group a fleet into migration domains per mdev type
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - From the mdev facts of a fleet, groups every (host, parent, type) into domains whose members can migrate among
    each other, per type, with the capacity of each domain and the devices that have no target outside their own host.
  - Members publishing a version attribute fall in one domain per version (evidence V(version)). Members without one
    fall in one domain per identity - device API, parent PCI board ids, driver and driver version (evidence
    V(policy)). Types whose version attribute fails to read do not support migration and are listed apart.
  - With O(probes), two version domains of a type whose members accept each other's version in a write probe are
    merged (evidence V(probe)); an acceptance in one direction only is listed in C(one_way).
  - Hosts without facts are listed in C(hosts_without_facts).
extends_documentation_fragment:
  - vfio.mdev_migration._fleet
seealso:
  - plugin: vfio.mdev_migration.migration_targets
    plugin_type: filter
  - plugin: vfio.mdev_migration.fleet_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Migration domains of the fleet
  ansible.builtin.set_fact:
    domains: "{{ hostvars | vfio.mdev_migration.migration_domains(hosts=groups['mdev_hosts']) }}"

- name: Devices that cannot be evacuated
  ansible.builtin.debug:
    msg: "{{ domains.domains | map(attribute='stranded') | flatten }}"
"""

RETURN = r"""
_value:
  description: The domains.
  type: dict
  contains:
    domains:
      description:
        - One record per domain, sorted by type - C(id), C(kind) (V(mdev) or V(vendor_vfio)), C(type_id),
          C(type_name), C(evidence), C(versions), C(hosts), C(members) (host, parent, available, devices),
          C(capacity) (free instances), C(devices) (count), C(stranded) (devices with no free target on another host
          of the domain).
      type: list
      elements: dict
    unsupported:
      description: (host, parent, type) whose version attribute fails to read - no migration.
      type: list
      elements: dict
    one_way:
      description: Version groups of a type where only one side accepts the other's version.
      type: list
      elements: dict
    hosts_without_facts:
      description: Hosts with no mdev facts (unreachable or not gathered).
      type: list
      elements: str
"""

from ansible_collections.vfio.mdev_migration.plugins.module_utils._policy import migration_domains
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._selection import fleet_and_accepts, validate

SPEC = {"hosts": {"type": "list", "elements": "str"}, "probes": {"type": "raw"}}


def _migration_domains(data, **kwargs):
    plugin = "migration_domains"
    params = validate(plugin, SPEC, kwargs)
    fleet, accepts = fleet_and_accepts(plugin, data, params["hosts"], params["probes"])
    result = migration_domains(fleet, accepts)
    result["hosts_without_facts"] = sorted(h for h, f in fleet.items() if f is None)
    return result


class FilterModule(object):
    def filters(self):
        return {"migration_domains": _migration_domains}
