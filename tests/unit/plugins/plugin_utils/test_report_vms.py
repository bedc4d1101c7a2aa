# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit report by VM: which VMs cannot leave their host, each domain's VMs, persistent and
transient devices, reserved capacity. Every VM verdict must agree with migration_targets(vm=...)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_model import build_report
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    PARENT,
    SRC_UUID,
    TYPE,
    device,
    facts,
    hostvars,
    mtype,
    parent,
    source_host,
    target_host,
    with_definitions,
    with_vms,
)
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.plugin_utils.test_report_model import validate

OTHER_UUID = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e02"
PARENT2 = "0000:3c:00.0"
TARGETS = FilterModule().filters()["migration_targets"]


def two_device_host():
    return with_vms(facts(
        parents={PARENT: parent({TYPE: mtype(3, "v-550", devices=[SRC_UUID])}),
                 PARENT2: parent({"nvidia-223": mtype(3, "v-223", devices=[OTHER_UUID])})},
        devices={SRC_UUID: device(PARENT, TYPE), OTHER_UUID: device(PARENT2, "nvidia-223")}),
        web01=(True, [SRC_UUID]), cad01=(True, [OTHER_UUID]), both=(False, []))


def vm_of(report, name):
    return next(vm for vm in report["vms"] if vm["vm"] == name)


def agrees_with_filter(fleet_facts, report):
    """Each VM's evacuable is what migration_targets(vm=...) selects (min_available=1)."""
    data = hostvars(**fleet_facts)
    for vm in report["vms"]:
        if vm["evacuable"] is None:
            continue
        selected = TARGETS(data, vm=vm["vm"])
        assert vm["evacuable"] == bool(selected) and vm["targets"] == len(selected), vm["vm"]


def test_vm_whose_type_no_other_host_offers_is_stranded_by_name():
    fleet = {"src": two_device_host(), "t": with_vms(target_host())}
    report = build_report(fleet)
    validate(report)
    assert vm_of(report, "web01")["evacuable"] is True and vm_of(report, "web01")["targets"] == 1
    cad = vm_of(report, "cad01")
    assert cad["evacuable"] is False and cad["devices"] == [OTHER_UUID] and cad["host"] == "src"
    assert "no other host can take it" in cad["reasons"][0]
    assert [vm["vm"] for vm in report["stranded_vms"]] == ["cad01"]
    assert report["summary"]["vms"] == 2 and report["summary"]["stranded_vms"] == 1
    assert "both" not in [vm["vm"] for vm in report["vms"]]     # shut off: holds nothing
    agrees_with_filter(fleet, report)


def test_vm_with_two_devices_needs_one_host_for_both():
    src = with_vms(two_device_host(), render=(True, [SRC_UUID, OTHER_UUID]))
    only_a = target_host()
    only_b = facts(parents={PARENT2: parent({"nvidia-223": mtype(2, "v-223")})})
    fleet = {"src": src, "a": only_a, "b": only_b}
    report = build_report(fleet)
    render = vm_of(report, "render")
    # each device alone has a target, the VM as a whole has none: the case a per-device view gets wrong
    assert render["evacuable"] is False and not any(s["device"] in render["devices"] for s in report["stranded"])
    assert "all 2 of its devices at once" in render["reasons"][0] and "a" in render["reasons"][0]
    agrees_with_filter(fleet, report)
    # positive control: a host with both types takes it
    fleet["ab"] = facts(parents={PARENT: parent({TYPE: mtype(2, "v-550")}), PARENT2: parent({"nvidia-223": mtype(2, "v-223")})})
    report = build_report(fleet)
    assert vm_of(report, "render")["evacuable"] is True and vm_of(report, "render")["targets"] == 1
    agrees_with_filter(fleet, report)


def test_hosts_whose_vms_are_unknown_are_named_not_counted_as_empty():
    fleet = {"src": with_vms(source_host(), available=False), "t": target_host(), "gone": None}
    report = build_report(fleet)
    validate(report)
    assert report["summary"]["hosts_vms_unknown"] == ["src", "t"]
    hosts = dict((h["host"], h) for h in report["hosts"])
    assert hosts["src"]["vms"] is None and "libvirt could not be read" in hosts["src"]["vms_unknown"]
    assert hosts["t"]["vms_unknown"] == "the libvirt subset was not gathered" and hosts["gone"]["vms_unknown"] == "no facts"


def test_vm_whose_vfs_are_unknown_is_undecided_not_evacuable():
    fleet = {"src": with_vms(source_host(), vendor_vfio_gathered=False, web01=(True, [SRC_UUID])), "t": target_host()}
    report = build_report(fleet)
    assert vm_of(report, "web01")["evacuable"] is None and report["summary"]["vms_undecided"] == 1
    assert [vm["vm"] for vm in report["stranded_vms"]] == ["web01"]


def test_each_domain_lists_its_vms():
    fleet = {"src": two_device_host(), "t": with_vms(target_host(), db01=(True, []))}
    report = build_report(fleet)
    by_type = dict((d["type_id"], d) for d in report["domains"])
    assert by_type[TYPE]["vms"] == ["web01@src"]


def test_a_domain_lists_its_own_vms_not_those_of_another_domain_of_the_type():
    # Two domains of one type (two versions), each with a VM on its own member: the lie would be a
    # VM listed in the domain of the same type it is not in.
    old = with_vms(source_host(version="v-550"), web01=(True, [SRC_UUID]))
    new = with_vms(facts(parents={PARENT: parent({TYPE: mtype(3, "v-551", devices=[OTHER_UUID])})},
                         devices={OTHER_UUID: device(PARENT, TYPE)}), db02=(True, [OTHER_UUID]))
    report = build_report({"old": old, "new": new, "t": with_vms(target_host(version="v-550"))})
    vms = dict((tuple(d["versions"]), d["vms"]) for d in report["domains"] if d["type_id"] == TYPE)
    assert vms == {("v-550",): ["web01@old"], ("v-551",): ["db02@new"]}


def test_persistent_transient_and_reserved_per_host_and_type():
    src = with_definitions(two_device_host(), a=(PARENT, TYPE, "auto", True))
    src["defined"] = {SRC_UUID: dict(src["defined"].popitem()[1])}      # web01's device is defined
    target = with_definitions(target_host(available=3), r1=(PARENT, TYPE, "auto", False), r2=(PARENT, TYPE, "manual", False))
    report = build_report({"src": src, "t": target, "plain": target_host()})
    validate(report)
    hosts = dict((h["host"], h) for h in report["hosts"])
    assert (hosts["src"]["persistent_devices"], hosts["src"]["transient_devices"]) == (1, 1)
    assert hosts["t"]["reserved"] == 1 and hosts["plain"]["reserved"] is None     # not gathered: not known
    placements = dict((p["host"], p) for t in report["types"] if t["type_id"] == TYPE for p in t["placements"])
    assert placements["t"]["reserved"] == 1 and placements["t"]["available"] == 3 and placements["plain"]["reserved"] is None
    assert [t["reserved"] for t in report["types"] if t["type_id"] == TYPE] == [1]
    # The domain counts what its members reserve: t's one, src's none (its definition is active).
    assert [d["reserved"] for d in report["domains"] if d["type_id"] == TYPE] == [1]


@pytest.mark.parametrize("broken", ["unreadable_file", "unlistable_dir"])
def test_unknown_reservations_are_null_not_zero(broken):
    if broken == "unreadable_file":
        target = with_definitions(target_host(), a=(PARENT, None, None, False))
    else:
        target = with_definitions(target_host(), error="EACCES")
    report = build_report({"t": target, "u": with_definitions(target_host(), r=(PARENT, TYPE, "auto", False))})
    assert report["hosts"][0]["reserved"] is None
    assert report["types"][0]["placements"][0]["reserved"] is None
    # Unknown counts as none in the totals; u's known reservation still counts (the control).
    assert report["types"][0]["reserved"] == 1 and report["domains"][0]["reserved"] == 1


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_rendered_report_names_the_stranded_vm_and_each_domain_vms(fmt):
    from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_render import render
    report = build_report({"src": two_device_host(), "t": with_vms(target_host())}, generated_at="2026-11-27T00:00:00Z")
    page = render(report, fmt)
    assert "VMs that cannot be evacuated" in page and "cad01" in page and "web01@src" in page
    assert "VMs without target" in page


def test_vm_running_on_two_hosts_is_not_called_evacuable_twice():
    fleet = {"src": with_vms(source_host(), web01=(True, [SRC_UUID])), "t": with_vms(target_host(), web01=(True, [])),
             "u": target_host()}
    report = build_report(fleet)
    assert [(v["host"], v["evacuable"]) for v in report["vms"] if v["vm"] == "web01"] == [("src", None)]
    assert "split-brain" in vm_of(report, "web01")["reasons"][0]


def test_vm_with_other_host_devices_is_undecided_with_why():
    src = with_vms(source_host(), web01=(True, [SRC_UUID]))
    src["domains"]["web01"]["other_hostdevs"] = ["pci 0000:02:00.0 (not a vendor-VFIO VF of this host)"]
    report = build_report({"src": src, "t": with_vms(target_host())})
    web01 = vm_of(report, "web01")
    assert web01["evacuable"] is None and "pci 0000:02:00.0" in web01["reasons"][0]
    assert report["summary"]["vms_undecided"] == 1


def test_a_duplicate_definition_under_another_parent_reserves_there_too():
    target = with_definitions(target_host(available=1), a=(PARENT2, TYPE, "manual", False))
    target["mdevctl"]["duplicates"] = [{"uuid": "00000000-0000-4000-8000-000000000000", "parent": PARENT,
                                        "type_id": TYPE, "start": "auto", "active": False, "attrs": [], "error": None}]
    report = build_report({"t": target})
    assert report["hosts"][0]["reserved"] == 1
    from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import judge
    record = judge(hostvars(src=with_vms(source_host(), web01=(True, [SRC_UUID])), t=target))
    assert record["capacity"] == 0 and not record["selected"]
