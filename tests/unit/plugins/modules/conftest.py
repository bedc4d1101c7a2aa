# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The autouse fixture that turns exit_json/fail_json into exceptions, for every module test.
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.module_runner import patch_exit  # noqa: F401 pylint: disable=unused-import
