# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.filter.mdev_version_parse import FilterModule

parse = FilterModule().filters()["mdev_version_parse"]


def test_rfc_v1():
    result = parse("00028086-193b-i915-GVTg_V5_4")
    assert result["format"] == "rfc_v1"
    assert (result["device_type"], result["vendor_id"], result["vendor_part"]) == ("pci", "8086", "193b-i915-GVTg_V5_4")


def test_gvt_v5():
    result = parse("8086-591d-i915-GVTg_V5_8-0000000a")
    assert result["format"] == "gvt_v5"
    assert (result["vendor_id"], result["device_id"], result["type"], result["software_version"]) == (
        "8086", "591d", "i915-GVTg_V5_8", "0000000a")


@pytest.mark.parametrize("text", ["10de-1eb8-nvidia-222-550.54.10", "", "0123456789,aggregate=2", "ffff8086-x",
                                  "\x00", "é"])
def test_everything_else_is_opaque(text):
    result = parse(text)
    assert result["format"] == "opaque" and result["raw"] == text and result["vendor_id"] is None


def test_non_string_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match="string"):
        parse(42)
