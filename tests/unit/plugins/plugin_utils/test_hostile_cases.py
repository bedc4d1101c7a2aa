# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Inputs found by trying to make the verdict lie, each beside the control that is compatible."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    PARENT,
    SRC_UUID,
    TYPE,
    accepted,
    facts,
    hostvars,
    judge,
    migration,
    probe_loop,
    probe_result,
    source_host,
    target_host,
    unreadable,
    verdict,
    vf,
    with_definitions,
)

targets = FilterModule().filters()["migration_targets"]


def test_vfs_of_one_gpu_that_disagree_on_identity_are_unknown():
    src = facts(vendor_vfio={"0000:41:00.4": vf(current=557)})
    good = facts(vendor_vfio={"0000:41:00.4": vf(current=557, creatable={}),
                              "0000:41:00.5": vf(creatable={"557": "x"})})
    mixed = copy.deepcopy(good)
    mixed["vendor_vfio"]["0000:41:00.5"].update(driver_version="999.0")
    mixed["vendor_vfio"]["0000:41:00.5"]["pci"]["device_id"] = "26b9"
    data = hostvars(src=src, good=good, mixed=mixed)
    assert verdict(judge(data, "good", device="0000:41:00.4")) == ("compatible", "policy")
    rec = judge(data, "mixed", device="0000:41:00.4")
    assert verdict(rec) == ("unknown", "unknown") and not rec["selected"]
    assert any("disagree" in r for r in rec["reasons"])


@pytest.mark.parametrize("src", [
    source_host(version="v1", device_mig=unreadable("EIO")),
    source_host(mig=unreadable("EIO"), device_mig=migration("v1")),
], ids=["device-level-unreadable", "type-level-unreadable"])
def test_an_unreadable_source_version_is_not_settled_by_a_probe(src):
    control = hostvars(src=source_host(version="v1"), t=target_host(version="v1"))
    assert verdict(judge(control, probes={"t": accepted("v1")})) == ("compatible", "probe")
    data = hostvars(src=src, t=target_host(version="v1"))
    assert verdict(judge(data, probes={"t": accepted("v1")})) == ("unknown", "unknown")


@pytest.mark.parametrize("path, value", [
    (("types", TYPE, "available_instances"), "4"),
    (("types", TYPE, "device_api"), 5),
])
def test_malformed_type_facts_are_not_settled_by_a_probe(path, value):
    data = hostvars(src=source_host(version="v1"), t=target_host(version="v1"))
    assert verdict(judge(data, probes={"t": accepted("v1")}, min_available=0)) == ("compatible", "probe")
    node = data["t"]["ansible_facts"]["mdev"]["parents"][PARENT]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    rec = judge(data, probes={"t": accepted("v1")}, min_available=0)
    assert verdict(rec) == ("unknown", "unknown") and not rec["selected"]


@pytest.mark.parametrize("subsystem", ["pci\n", "PCI", ""])
def test_a_subsystem_that_is_not_a_sysfs_name_is_malformed(subsystem):
    other = {"vendor_id": "10de", "device_id": "2236", "subsystem_vendor_id": "10de", "subsystem_device_id": "1482"}
    data = hostvars(src=source_host(version=None, subsystem=subsystem, bus=None),
                    t=target_host(version=None, subsystem=subsystem, bus=None, pci=other))
    with pytest.raises(Exception, match="subsystem"):
        judge(data)
    data["src"] = hostvars(src=source_host(version=None))["src"]
    rec = judge(data)
    assert verdict(rec) == ("unknown", "unknown") and "subsystem" in rec["reasons"][0]


@pytest.mark.parametrize("key", ["driver_version", "driver"])
def test_empty_strings_are_not_known_values(key):
    data = hostvars(src=source_host(version=None), t=target_host(version=None))
    assert verdict(judge(data)) == ("compatible", "policy")
    data["src"]["ansible_facts"]["mdev"]["parents"][PARENT][key] = ""
    data["t"]["ansible_facts"]["mdev"]["parents"][PARENT][key] = ""
    assert verdict(judge(data)) == ("unknown", "unknown")


def test_empty_pci_ids_are_not_known_values():
    blank = {"vendor_id": "", "device_id": "", "subsystem_vendor_id": "", "subsystem_device_id": ""}
    data = hostvars(src=source_host(version=None, pci=blank), t=target_host(version=None, pci=blank))
    assert verdict(judge(data)) == ("unknown", "unknown")


def test_a_loop_item_that_did_not_run_leaves_the_pair_unknown():
    data = hostvars(src=source_host(version="v1"), t=target_host(version="v1"))
    ran = probe_loop(accepted("v1"))
    assert verdict(judge(data, probes={"t": ran})) == ("compatible", "probe")
    failed = probe_loop(accepted("v1"), {"failed": True, "msg": "item failed"})
    assert verdict(judge(data, probes={"t": failed})) == ("unknown", "unknown")


def test_a_target_whose_devices_were_not_gathered_cannot_rule_out_a_uuid_clash():
    data = hostvars(src=source_host(version="v1"), t=target_host(version="v1"))
    assert verdict(judge(data)) == ("compatible", "version")
    data["t"]["ansible_facts"]["mdev"]["gather_subset"] = ["pci", "types", "vendor_vfio", "versions"]
    rec = judge(data)
    assert verdict(rec) == ("unknown", "unknown") and "devices were not gathered" in rec["reasons"][0]


@pytest.mark.parametrize("start", ["manual", "auto"])
def test_a_target_whose_mdevctl_defines_the_source_uuid_is_incompatible(start):
    data = hostvars(src=source_host(version="v1"),
                    t=with_definitions(target_host(version="v1"), other=(PARENT, TYPE, "manual", False)))
    assert verdict(judge(data)) == ("compatible", "version")     # control: another UUID is defined there
    definition = {"parent": "0000:af:00.0", "type_id": "nvidia-999", "start": start, "active": False, "attrs": [],
                  "error": None}
    data["t"]["ansible_facts"]["mdev"]["defined"][SRC_UUID] = definition
    rec = judge(data)
    assert verdict(rec) == ("incompatible", "policy") and not rec["selected"]
    assert rec["reasons"] == ["mdevctl on the host already defines an mdev with the source device's UUID %s (parent "
                              "0000:af:00.0, type nvidia-999): a leftover or a clash (gate before the device is "
                              "prepared on the target)" % SRC_UUID]


@pytest.mark.parametrize("unseen, reason", [
    ({"unreadable_parents": ["0000:af:00.0"]}, "mdevctl's definitions of parent(s) 0000:af:00.0 could not be listed"),
    ({"error": "EACCES", "available": False}, "mdevctl's definitions in /etc/mdevctl.d could not be listed (EACCES)"),
])
def test_mdevctl_definitions_that_could_not_be_read_leave_a_uuid_clash_open(unseen, reason):
    # The definition of the source's UUID may be under the parent that could not be listed, even
    # when another parent takes the device: unknown, never a match.
    data = hostvars(src=source_host(version="v1"),
                    t=with_definitions(target_host(version="v1"), other=(PARENT, TYPE, "manual", False)))
    assert verdict(judge(data)) == ("compatible", "version")     # control: every definition read
    data["t"]["ansible_facts"]["mdev"]["mdevctl"].update(unseen)
    rec = judge(data)
    assert verdict(rec) == ("unknown", "unknown") and not rec["selected"]
    assert rec["reasons"] == ["%s, so a definition of the source device's UUID %s there cannot be ruled out"
                              % (reason, SRC_UUID)]


def test_an_unreadable_definition_of_the_source_uuid_is_named_with_its_error():
    data = hostvars(src=source_host(version="v1"), t=with_definitions(target_host(version="v1")))
    data["t"]["ansible_facts"]["mdev"]["defined"][SRC_UUID] = {
        "parent": PARENT, "type_id": None, "start": None, "active": None, "attrs": [], "error": "EACCES"}
    data["t"]["ansible_facts"]["mdev"]["mdevctl"]["duplicates"] = [
        {"uuid": SRC_UUID, "parent": "0000:af:00.0", "type_id": TYPE, "start": "manual", "active": False}]
    rec = judge(data)
    assert verdict(rec) == ("incompatible", "policy")
    assert "(parent %s, its file unreadable (EACCES), parent 0000:af:00.0, type %s)" % (PARENT, TYPE) \
        in rec["reasons"][0]


def test_two_vgpus_need_two_free_vfs():
    src = facts(vendor_vfio={"0000:41:00.4": vf(current=557), "0000:41:00.5": vf(current=558)})
    one_free = facts(vendor_vfio={"0000:41:00.4": vf(creatable={"557": "a", "558": "b"})})
    two_free = facts(vendor_vfio={"0000:41:00.4": vf(creatable={"557": "a", "558": "b"}),
                                  "0000:41:00.5": vf(creatable={"557": "a", "558": "b"})})
    data = hostvars(src=src, one=one_free, two=two_free)
    assert targets(data, "src", ["0000:41:00.4", "0000:41:00.5"]) == ["two"]
    assert judge(data, "one", device=["0000:41:00.4", "0000:41:00.5"])["capacity"] == 0


@pytest.mark.parametrize("value", [None, "__omit_place_holder__0123"])
def test_match_vars_null_or_omitted_on_both_sides_is_unknown(value):
    data = hostvars(src=source_host(version="v1"), t=target_host(version="v1"))
    for host in ("src", "t"):
        data[host]["ecc"] = "on"
    assert judge(data, match_vars=["ecc"])["selected"]
    for host in ("src", "t"):
        data[host]["ecc"] = value
    rec = judge(data, match_vars=["ecc"])
    assert verdict(rec) == ("unknown", "unknown") and not rec["selected"]


def test_match_vars_compare_types_too():
    data = hostvars(src=source_host(version="v1"), t=target_host(version="v1"))
    data["src"]["ecc"], data["t"]["ecc"] = 1, True
    assert verdict(judge(data, match_vars=["ecc"])) == ("incompatible", "policy")


def test_probe_result_is_read_from_records_not_results():
    data = hostvars(src=source_host(version="v1"), t=target_host(version="v1"))
    legacy = {"changed": False, "results": probe_result()["records"]}
    assert verdict(judge(data, probes={"t": legacy})) == ("unknown", "unknown")
