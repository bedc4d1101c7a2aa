# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleet_report_render
short_description: Render an mdev migration audit report as Markdown or HTML
version_added: 0.1.0
author:
  - vfio.mdev_migration maintainers (@vfio-mdev-migration)
description:
  - Turns the report of P(vfio.mdev_migration.fleet_report#filter) into Markdown, or into a self-contained HTML page.
  - The HTML page has pictures (host status strip, types and their migration domains, capacity per domain) and
    tables that can be sorted (click a column header), filtered (the box above each table) and paged, with long host
    lists folded. Style, a small script and the data are inline; nothing is fetched from the network when it is
    viewed. Without scripts, the pictures and the first page of each table still show.
  - In Markdown, a list in a table cell shows its first 20 items and the total; the JSON report has all of them.
positional: format
options:
  _input:
    description: The report.
    type: dict
    required: true
  format:
    description: Output format.
    type: str
    choices: [markdown, html]
    default: markdown
seealso:
  - plugin: vfio.mdev_migration.fleet_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write the audit as an HTML page on the controller
  ansible.builtin.copy:
    content: "{{ hostvars | vfio.mdev_migration.fleet_report | vfio.mdev_migration.fleet_report_render('html') }}"
    dest: /tmp/mdev-audit.html
    mode: "0644"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
_value:
  description: The rendered document.
  type: str
"""

from collections.abc import Mapping

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_model import REPORT_VERSION
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_render import render_html, render_markdown
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._ansible_compat import to_plain
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs

ARGS = PluginArgs(DOCUMENTATION)


def fleet_report_render(report, *args, **kwargs):
    params = ARGS.validate(args, kwargs)
    if not isinstance(report, Mapping) or report.get("report_version") != REPORT_VERSION:
        ARGS.fail("the input must be a report of fleet_report (report_version %d)" % REPORT_VERSION)
    report = to_plain(report)
    return render_html(report) if params["format"] == "html" else render_markdown(report)


class FilterModule(object):
    def filters(self):
        return {"fleet_report_render": fleet_report_render}
