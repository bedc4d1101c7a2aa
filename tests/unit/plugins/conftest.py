# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.vfio.mdev_migration.tests.unit.plugins.sysfs_tree import build_tree


@pytest.fixture
def tree(tmp_path):
    def make(*specs):
        merged = {}
        for spec in specs:
            merged.update(spec)
        return str(build_tree(tmp_path, merged))
    return make
