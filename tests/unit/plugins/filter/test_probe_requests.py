# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.filter.probe_requests import FilterModule
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    PARENT,
    SRC_UUID,
    TYPE,
    facts,
    migration,
    mtype,
    parent,
    source_host,
    unreadable,
    vf,
)

requests = FilterModule().filters()["probe_requests"]
UUID2 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e02"
UUID3 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e03"


def fleet_source():
    f = source_host(version="v1", device_mig=migration("v1-dev"))
    f["parents"][PARENT]["types"]["nvidia-223"] = mtype(1, "v223", devices=[UUID2])
    f["parents"][PARENT]["types"]["nvidia-224"] = mtype(1, None, devices=[UUID3])
    f["devices"][UUID2] = {"parent": PARENT, "type_id": "nvidia-223", "migration": migration("v223")}
    f["devices"][UUID3] = {"parent": PARENT, "type_id": "nvidia-224", "migration": unreadable()}
    f["vendor_vfio"] = {"0000:41:00.4": vf(current=1428)}
    return f


def test_one_device_as_a_string_includes_its_device_level_version():
    assert requests(fleet_source(), SRC_UUID) == [{"type_id": TYPE, "source_version": "v1"},
                                                  {"type_id": TYPE, "source_version": "v1-dev"}]


def test_a_list_of_devices_in_order_without_duplicates_and_hostvars_input():
    data = {"ansible_facts": {"mdev": fleet_source()}}
    assert requests(data, [UUID2, SRC_UUID, UUID2]) == [
        {"type_id": "nvidia-223", "source_version": "v223"}, {"type_id": TYPE, "source_version": "v1"},
        {"type_id": TYPE, "source_version": "v1-dev"}]


def test_devices_without_a_version_and_vendor_vfs_are_left_out():
    assert requests(fleet_source(), [UUID3, "0000:41:00.4"]) == []


def test_default_is_every_mdev_device():
    assert [r["type_id"] for r in requests(fleet_source())] == [TYPE, TYPE, "nvidia-223"]


def test_versions_for_a_target():
    target = facts(parents={PARENT: parent({TYPE: mtype(), "nvidia-223": mtype()})})
    assert requests(target, versions={TYPE: ["b", "a"], "nvidia-999": ["x"]}) == [
        {"type_id": TYPE, "source_version": "a"}, {"type_id": TYPE, "source_version": "b"}]


@pytest.mark.parametrize("args, kwargs, named", [
    ((), {"devices": 5}, "device"),
    ((), {"devices": []}, "device"),
    ((), {"devices": [SRC_UUID, None]}, "device"),
    ((), {"devices": "11111111-0000-0000-0000-000000000000"}, "11111111-0000-0000-0000-000000000000"),
    ((), {"devices": SRC_UUID, "versions": {TYPE: ["a"]}}, "devices or versions"),
    ((), {"versions": {TYPE: "a"}}, "versions.%s" % TYPE),
    ((), {"versions": "a"}, "versions"),
    ((), {"versions": {TYPE: 5}}, "versions.%s" % TYPE),
    ((), {"versions": {TYPE: [None]}}, "versions.%s: None is not a migration version" % TYPE),
    ((), {"versions": {TYPE: ["ok", ""]}}, "versions.%s: '' is not a migration version" % TYPE),
    ((), {"versions": {TYPE: ["v1\n"]}}, "versions.%s" % TYPE),
    ((), {"bogus": 1}, "bogus"),
    ((SRC_UUID, "extra"), {}, "positional"),
])
def test_bad_input_names_the_plugin_and_argument(args, kwargs, named):
    with pytest.raises(AnsibleFilterError) as exc:
        requests(fleet_source(), *args, **kwargs)
    assert str(exc.value).startswith("vfio.mdev_migration.probe_requests: ") and named in str(exc.value)


def test_input_without_facts():
    with pytest.raises(AnsibleFilterError, match="^vfio.mdev_migration.probe_requests: the input has no mdev facts"):
        requests({"inventory_hostname": "x"}, SRC_UUID)
