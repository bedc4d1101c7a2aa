# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleet_report
short_description: Build the mdev migration audit report of a fleet
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - From the mdev facts of a fleet (C(hostvars) or cached facts), the data of the audit that the
    C(vfio.mdev_migration.fleet_audit) role writes - per
    type the hosts, versions and capacity; version drift; migration domains (see
    P(vfio.mdev_migration.migration_domains#filter)); devices that cannot be evacuated; hosts without facts; read
    errors.
  - The layout is versioned by C(report_version) and described by the JSON schema C(docs/report-schema.json) in the
    collection.
  - Render it for people with P(vfio.mdev_migration.fleet_report_render#filter).
extends_documentation_fragment:
  - vfio.mdev_migration._fleet
options:
  policy:
    description: As in the P(vfio.mdev_migration.migration_targets#filter) filter; domains and stranded devices follow it.
    type: str
    choices: [auto, version, identity]
    default: auto
  generated_at:
    description: A timestamp to put in the report.
    type: str
seealso:
  - plugin: vfio.mdev_migration.fleet_report_render
    plugin_type: filter
  - plugin: vfio.mdev_migration.migration_domains
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Audit report of the fleet
  ansible.builtin.set_fact:
    audit: "{{ hostvars | vfio.mdev_migration.fleet_report(hosts=groups['mdev_hosts']) }}"

- name: Hosts whose version differs from the rest of their type
  ansible.builtin.debug:
    msg: "{{ audit.version_drift | map(attribute='host') | unique }}"
"""

RETURN = r"""
_value:
  description:
    - The report - C(report_version), C(generated_at), C(probed), C(summary), C(hosts), C(types), C(version_drift),
      C(domains), C(unsupported), C(undecided), C(one_way), C(accepted), C(stranded), C(errors), C(policy). See C(docs/report-schema.json).
  type: dict
"""

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._fleet_input import Fleet
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_model import build_report

ARGS = PluginArgs(DOCUMENTATION)


def fleet_report(data, *args, **kwargs):
    params = ARGS.validate(args, kwargs)
    fleet = Fleet(ARGS, data)
    return build_report(fleet.report_fleet(params["hosts"]), params["policy"], fleet.probe_lookup(params["probes"]),
                        params["generated_at"])


class FilterModule(object):
    def filters(self):
        return {"fleet_report": fleet_report}
