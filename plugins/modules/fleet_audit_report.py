#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The work is done by the action plugin of the same name, on the controller; this file documents it.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: fleet_audit_report
short_description: Write the mdev migration audit report of a fleet on the controller
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Builds, on the controller, the report of P(vfio.mdev_migration.fleet_report#filter) from the mdev facts of the
    hosts (gathered in this run or read from the fact cache) and writes it as JSON, Markdown and a self-contained HTML
    page.
  - Each file is written to a temporary file beside it and renamed over it, so a reader never sees half a file and a
    run that fails leaves the previous report as it was.
  - A file counts as changed only when its content apart from the report's C(generated_at) differs from the file
    already there, or its mode does; an unchanged file is left as it was (with its old C(generated_at)), so an audit
    of an unchanged fleet reports C(changed=false).
  - Every file is rendered and compared before the first one is written; an invalid option or input fails with a
    message naming it, and writes nothing.
  - The HTML page is self-contained (inline style and script, no network access when viewed) - pictures of the host
    status, of the types and their migration domains and of each domain's capacity, then tables that can be sorted,
    filtered and paged, with long host lists folded. See P(vfio.mdev_migration.fleet_report_render#filter).
  - The report is built and rendered in Python, without passing it through templating; this is what keeps the audit
    of thousands of hosts fast. The role C(vfio.mdev_migration.fleet_audit) uses it.
options:
  dest:
    description: Directory on the controller for the report files. Created if missing.
    type: path
    required: true
  name:
    description: Base name of the files; C(.json), C(.md) and C(.html) are added.
    type: str
    default: mdev-audit
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [json, markdown, html]
    default: [json, markdown, html]
  hosts:
    description: Hosts to report on. Default - every host in C(hostvars).
    type: list
    elements: str
  mode:
    description:
      - Permissions of the files, as an octal string (V("0640")) or a number. The owner must be able to read them.
    type: raw
    default: "0644"
  probes:
    description:
      - Probe results - the name of the variable each host registered M(vfio.mdev_migration.mdev_version_probe) into,
        or a mapping of host name to that registered result. Domains then rest on probe evidence.
    type: raw
  policy:
    description:
      - As in the P(vfio.mdev_migration.migration_targets#filter) filter; domains and the devices that cannot be
        evacuated are decided by the same rule.
    type: str
    choices: [auto, version, identity]
    default: auto
  partial:
    description:
      - Write the partial report of one slice of the fleet instead of the report - for a fleet audited in slices
        (AWX or Automation Platform job slicing, or C(--limit) partitions), whose report is then made by O(merge_from).
      - A partial report holds the slice's hosts' mdev facts and probe outcomes, not verdicts - domains, stranded
        devices and version drift need every host at once. It is written as C(<name>.partial-<slice>.json) in O(dest);
        O(formats) does not apply.
    type: bool
    default: false
    version_added: 0.2.0
  slice:
    description:
      - The slice's identifier with O(partial=true) (required then) - 1 to 64 letters, digits, C(.), C(_) or C(-). Each
        slice of one audit needs its own; a later run of the same slice replaces its file.
    type: str
    version_added: 0.2.0
  merge_from:
    description:
      - Paths of the partial reports of every slice (O(partial)). The report is built from them, as a single run over
        all their hosts would build it - the files written are the same apart from C(generated_at).
      - Hosts, probe outcomes and the policy come from the partial reports, so O(hosts), O(probes) and O(policy) must
        not be given. The slices must have one policy, all be probed or none, and no host may be in two slices.
    type: list
    elements: path
    version_added: 0.2.0
  expect_slices:
    description:
      - With O(merge_from), how many partial reports there must be. Without it, a slice that failed or has not finished
        would silently leave its hosts out of the report.
    type: int
    version_added: 0.2.0
  max_spread:
    description:
      - With O(merge_from), the most seconds before this merge that a partial report may have been written (its
        C(generated_at)); one written later than 5 minutes after the merge's time is refused too. A partial report
        left from an earlier audit - its slice failed this time, or was not run - would otherwise be merged, counted as
        a slice, and its hosts' old facts reported as current.
      - The default, 6 hours, covers slices that wait for capacity; raise it when the slices of one audit run further
        apart, or the merge runs later.
    type: int
    default: 21600
    version_added: 0.2.0
  keep_merged:
    description:
      - With O(merge_from), keep the partial reports once the report is written. When V(false), each one is removed
        then, unless it changed since it was read (a slice run again meanwhile; it is kept for the next merge, and
        listed in RV(left)); one already removed by someone else meanwhile is in neither list. Nothing is removed in
        check mode or when the merge fails.
    type: bool
    default: true
    version_added: 0.2.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Nothing is written; C(changed) and RV(changed_files) say what a run would change.
  diff_mode:
    support: partial
    details: The changes of the JSON and Markdown files, when neither the old nor the new file is over 256 KiB.
  platform:
    platforms: posix
seealso:
  - plugin: vfio.mdev_migration.fleet_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write the audit of the fleet from cached facts
  vfio.mdev_migration.fleet_audit_report:
    dest: "{{ playbook_dir }}/mdev-audit"
    hosts: "{{ groups['mdev_hosts'] }}"
  run_once: true
  register: audit

- name: Keep the report from other users, and only say what would change
  vfio.mdev_migration.fleet_audit_report:
    dest: "{{ playbook_dir }}/mdev-audit"
    formats: [json, html]
    mode: "0640"
  check_mode: true
  run_once: true
  register: would

- name: Say where it is
  ansible.builtin.debug:
    msg: "{{ audit.files }}"
  run_once: true

- name: Write this slice's partial report (in a sliced job every slice writes its own)
  vfio.mdev_migration.fleet_audit_report:
    dest: "{{ playbook_dir }}/mdev-audit-slices"
    partial: true
    slice: "{{ awx_job_id | default('1') }}"
    hosts: "{{ groups['mdev_hosts'] }}"
  run_once: true

- name: Once every slice has finished, merge the partial reports into the report
  vfio.mdev_migration.fleet_audit_report:
    dest: "{{ playbook_dir }}/mdev-audit-slices"
    merge_from: "{{ query('ansible.builtin.fileglob', playbook_dir ~ '/mdev-audit-slices/mdev-audit.partial-*.json') }}"
    expect_slices: 1
  run_once: true
"""

RETURN = r"""
files:
  description: The paths written.
  returned: always
  type: list
  elements: str
  sample: [/tmp/mdev-audit/mdev-audit.json, /tmp/mdev-audit/mdev-audit.md, /tmp/mdev-audit/mdev-audit.html]
changed_files:
  description: The paths whose content (apart from C(generated_at)) or mode changed, or would change in check mode.
  returned: always
  type: list
  elements: str
  sample: [/tmp/mdev-audit/mdev-audit.json]
summary:
  description:
    - The report's C(summary) (see C(docs/report-schema.json)). With O(partial), only the slice's counts - C(slice),
      C(hosts), C(hosts_with_facts) and C(hosts_without_facts).
  returned: always
  type: dict
  sample: {"hosts": 11, "hosts_with_facts": 10, "hosts_without_facts": ["gpu-x9"], "types": 9, "devices": 5,
           "capacity": 102, "domains": 10, "stranded_devices": 1, "version_drift": 2, "errors": 0}
  contains:
    slice: {description: "With O(partial) only - the slice's identifier.", type: str}
    hosts: {description: "Hosts in the report.", type: int}
    hosts_with_facts: {description: "Hosts with usable mdev facts.", type: int}
    hosts_without_facts: {description: "Hosts without (usable) mdev facts - unreachable, not gathered or malformed.",
                          type: list, elements: str}
    types: {description: "mdev and vendor-VFIO types offered in the fleet.", type: int}
    devices: {description: "Devices in use (mdevs and vendor-VFIO VFs running a vGPU).", type: int}
    capacity: {description: "Free instances (and free VFs) over all types.", type: int}
    domains: {description: "Migration domains.", type: int}
    stranded_devices: {description: "Devices for which no other host can be selected (cannot be evacuated).", type: int}
    version_drift: {description: "Hosts whose version of a type differs from the one most hosts publish.", type: int}
    errors: {description: "Attributes that could not be read, over all hosts.", type: int}
removed:
  description: With O(merge_from) and O(keep_merged=false), the partial reports removed once the report was written.
  returned: with O(merge_from)
  type: list
  elements: str
  sample: [/tmp/mdev-audit/mdev-audit.partial-1.json]
left:
  description: With O(merge_from) and O(keep_merged=false), the partial reports not removed because they changed after
    they were read.
  returned: with O(merge_from)
  type: list
  elements: str
  sample: []
generated_at:
  description:
    - UTC time of this run, written into the files that changed. A file left unchanged keeps the time it was
      written, which is when the fleet last looked like this.
  returned: always
  type: str
  sample: "2026-11-26T23:20:30Z"
"""
