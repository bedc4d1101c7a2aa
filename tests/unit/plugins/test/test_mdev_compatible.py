# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.test.mdev_compatible import TestModule as MdevCompatibleTests
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    SRC_UUID,
    hostvars,
    source_host,
    target_host,
)

compatible = MdevCompatibleTests().tests()["mdev_compatible"]


class Context(dict):
    pass


def test_pair():
    data = hostvars(src=source_host(), ok=target_host(available=0), bad=target_host(driver_version="1"),
                    other=target_host(version="v-2"))
    ctx = Context(hostvars=data)
    assert compatible(ctx, "ok", "src", SRC_UUID) is True
    assert compatible(ctx, "ok", "src", SRC_UUID, min_available=1) is False
    assert compatible(ctx, "other", "src", SRC_UUID) is False
    assert compatible(Context(), "ok", "src", SRC_UUID, facts=data) is True


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="target host name"):
        compatible(Context(hostvars={}), 5, "src", SRC_UUID)
