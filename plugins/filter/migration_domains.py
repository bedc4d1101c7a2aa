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
  - From the mdev facts of a fleet, groups every (host, parent, type) into domains whose members the
    P(vfio.mdev_migration.migration_targets#filter) filter judges compatible with each other in both directions, under
    the same O(policy) and O(probes) - the pair rule is the same code. Members it cannot vouch for (unknown identity
    facts, unreadable or one-sided versions) are listed in C(undecided), never grouped.
  - Types whose version attribute reads with an errno meaning no migration are listed in C(unsupported).
  - With O(probes), version groups are never merged - acceptance across versions is listed as directions in
    C(accepted), and those accepted in one direction only in C(one_way).
  - C(stranded) lists every device for which P(vfio.mdev_migration.migration_targets#filter) with the same policy and
    probes and O(vfio.mdev_migration.migration_targets#filter:min_available=1) selects no other host, and why.
  - Hosts without (usable) facts are listed in C(hosts_without_facts).
options:
  policy:
    description: As in the P(vfio.mdev_migration.migration_targets#filter) filter.
    type: str
    choices: [auto, version, identity]
    default: auto
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
          C(capacity) (free instances), C(devices) (count), C(stranded) (the domain's devices listed in the top-level
          C(stranded)).
      type: list
      elements: dict
    undecided:
      description: Members (host, parent, type) the pair rule cannot vouch for, with C(reasons).
      type: list
      elements: dict
    unsupported:
      description: Members whose type does not support migration.
      type: list
      elements: dict
    accepted:
      description:
        - With O(probes) - C(type_id), C(from_version), C(to_version), C(to_hosts) (the hosts of the C(to_version) group
          that accepted C(from_version)) and C(all) (every host of that group did).
      type: list
      elements: dict
    one_way:
      description: The entries of C(accepted) with C(all) true whose reverse direction is not accepted by all.
      type: list
      elements: dict
    stranded:
      description:
        - Devices that cannot be evacuated - C(host), C(device), C(parent), C(type_id), C(kind), C(reasons).
      type: list
      elements: dict
    hosts_without_facts:
      description: Hosts with no mdev facts (unreachable or not gathered).
      type: list
      elements: str
"""

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._domains import migration_domains as _domains
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._fleet_input import Fleet
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs

ARGS = PluginArgs(DOCUMENTATION)


def migration_domains(data, *args, **kwargs):
    params = ARGS.validate(args, kwargs)
    fleet = Fleet(ARGS, data)
    usable, without = fleet.usable(params["hosts"])
    result = _domains(usable, params["policy"], fleet.probe_lookup(params["probes"]))
    result["hosts_without_facts"] = without
    return result


class FilterModule(object):
    def filters(self):
        return {"migration_domains": migration_domains}
