# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The fleet input shared by the filters that look at a whole fleet.

    This doc fragment is PRIVATE to the collection; it may change without notice.
    """

    DOCUMENTATION = r"""
options:
  _input:
    description: C(hostvars), or a mapping of host name to mdev facts (for example read from a fact cache).
    type: dict
    required: true
  hosts:
    description: Host names to include. Default - every host in the input.
    type: list
    elements: str
  probes:
    description:
      - Probe results - the name of the variable each host registered M(vfio.mdev_migration.mdev_version_probe) into,
        or a mapping of host name to that registered result. Domains then rest on probe evidence where it exists.
    type: raw
"""
