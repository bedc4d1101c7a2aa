# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_targets by VM name (libvirt facts) and capacity reserved by mdevctl definitions.

Each rule has the case that would make it lie beside its positive control."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    PARENT,
    SRC_UUID,
    TYPE,
    accepted,
    device,
    facts,
    hostvars,
    judge,
    mtype,
    parent,
    source_host,
    target_host,
    verdict,
    with_definitions,
    with_vms,
)

TARGETS = FilterModule().filters()["migration_targets"]
OTHER_UUID = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e02"
PARENT2 = "0000:3c:00.0"


def fleet(**hosts):
    hosts.setdefault("src", with_vms(source_host(), web01=(True, [SRC_UUID])))
    return hostvars(**hosts)


def by_vm(data, vm="web01", **kw):
    return {r["host"]: r for r in TARGETS(data, vm=vm, details=True, **kw)}


def fails(data, **kw):
    with pytest.raises(AnsibleFilterError) as exc:
        TARGETS(data, details=True, **kw)
    return str(exc.value)


# -- the VM names its host and devices ----------------------------------------------------------

def test_vm_is_found_on_its_host_and_judged_like_its_device():
    data = fleet(t=target_host(), off=with_vms(target_host(), web01=(False, [])))
    records = by_vm(data)
    # positive control: the same answer as naming the host and the device
    assert verdict(records["t"]) == verdict(judge(data)) == ("compatible", "version")
    assert "src" not in records           # the VM's host is the source, never a candidate
    assert records["off"]["selected"]     # a shut-off definition left behind is not a second copy


def test_vm_running_on_two_hosts_is_a_split_brain_error_naming_both():
    data = fleet(t=with_vms(target_host(), web01=(True, [])))
    message = fails(data, vm="web01")
    assert "running on 2 hosts: src, t" in message and "split-brain" in message


def test_vm_not_found_names_hosts_whose_vms_are_unknown():
    data = fleet(t=with_vms(target_host(), available=False), x9=None, bare=target_host())
    message = fails(data, vm="db02")
    assert "vm db02 is not running on any host whose VMs are known" in message
    assert "t (libvirt could not be read: refused)" in message
    assert "bare (the libvirt subset was not gathered)" in message and "x9 (" in message


def test_vm_defined_but_not_running_says_where():
    data = fleet(t=with_vms(target_host(), db02=(False, [])))
    assert "defined but not running on t" in fails(data, vm="db02")


def test_vm_without_devices_is_an_error():
    data = fleet(t=target_host())
    data["src"]["ansible_facts"]["mdev"]["domains"]["idle"] = dict(
        data["src"]["ansible_facts"]["mdev"]["domains"]["web01"], mdevs=[])
    assert "holds no mdev and no vendor-VFIO VF" in fails(data, vm="idle")


def test_vm_whose_vfs_are_unknown_is_an_error_not_a_partial_source():
    data = fleet(t=target_host())
    data["src"] = hostvars(src=with_vms(source_host(), vendor_vfio_gathered=False, web01=(True, [SRC_UUID])))["src"]
    assert "vendor-VFIO VFs is unknown" in fails(data, vm="web01")


def test_vm_with_other_source_arguments_is_refused():
    data = fleet(t=target_host())
    assert "vm names the source by itself" in fails(data, vm="web01", source_host="src")
    assert "vm must be the name of a VM" in fails(data, vm="")


def test_malformed_domains_make_that_host_unknown_not_a_crash():
    broken = with_vms(target_host(), web01=(True, []))
    broken["domains"]["web01"]["mdevs"] = "not a list"
    records = by_vm(fleet(t=broken))
    assert verdict(records["t"]) == ("unknown", "unknown")


def two_gpu_source():
    """A VM with two vGPUs: TYPE on PARENT and nvidia-223 on PARENT2."""
    return with_vms(facts(
        parents={PARENT: parent({TYPE: mtype(3, "v-550", devices=[SRC_UUID])}),
                 PARENT2: parent({"nvidia-223": mtype(3, "v-223", devices=[OTHER_UUID])})},
        devices={SRC_UUID: device(PARENT, TYPE), OTHER_UUID: device(PARENT2, "nvidia-223")}),
        web01=(True, [SRC_UUID, OTHER_UUID]))


def test_vm_with_two_vgpus_needs_a_target_that_takes_both():
    both = facts(parents={PARENT: parent({TYPE: mtype(2, "v-550")}), PARENT2: parent({"nvidia-223": mtype(2, "v-223")})})
    one = target_host()
    records = by_vm(fleet(src=two_gpu_source(), both=both, one=one))
    assert records["both"]["selected"] and sorted(records["both"]["devices"]) == sorted([SRC_UUID, OTHER_UUID])
    assert not records["one"]["selected"] and verdict(records["one"])[0] == "incompatible"
    assert "no parent offers mdev type nvidia-223" in records["one"]["why"]


# -- mdevctl reservations -----------------------------------------------------------------------

def test_free_instances_all_reserved_by_auto_start_definitions_are_not_counted():
    reserved = with_definitions(target_host(available=2), a=(PARENT, TYPE, "auto", False), b=(PARENT, TYPE, "auto", False))
    record = judge(fleet(t=reserved))
    assert record["capacity"] == 0 and not record["selected"] and record["reserved"] == {PARENT: 2}
    assert "reserved by mdevctl auto-start definitions" in record["why"]


@pytest.mark.parametrize("start, active", [("manual", False), ("auto", True)])
def test_manual_or_active_definitions_reserve_nothing(start, active):
    record = judge(fleet(t=with_definitions(target_host(available=2), a=(PARENT, TYPE, start, active),
                                            b=(PARENT, TYPE, start, active))))
    assert record["capacity"] == 2 and record["selected"] and record["reserved"] == {}


def test_min_available_applies_to_what_is_left():
    reserved = with_definitions(target_host(available=3), a=(PARENT, TYPE, "auto", False))
    assert judge(fleet(t=reserved))["capacity"] == 2
    assert judge(fleet(t=reserved), min_available=2)["selected"]
    assert not judge(fleet(t=reserved), min_available=3)["selected"]


def test_reservation_of_another_type_leaves_the_parent_uncounted():
    reserved = with_definitions(target_host(available=4), a=(PARENT, "nvidia-223", "auto", False))
    record = judge(fleet(t=reserved))
    assert record["capacity"] == 0 and "cannot be assumed to take another" in " ".join(record["reasons"])
    # positive control: a reservation on another parent does not touch this one
    elsewhere = with_definitions(target_host(available=4), a=(PARENT2, "nvidia-223", "auto", False))
    assert judge(fleet(t=elsewhere))["capacity"] == 4


def test_unreadable_definition_makes_its_parent_unknown_whatever_a_probe_says():
    unreadable = with_definitions(target_host(), a=(PARENT, None, None, False))
    record = judge(fleet(t=unreadable), probes={"t": accepted("v-550")})
    assert verdict(record) == ("unknown", "unknown") and "could not be read" in record["why"]
    # positive control: the unreadable file is another parent's
    other = with_definitions(target_host(), a=(PARENT2, None, None, False))
    assert verdict(judge(fleet(t=other), probes={"t": accepted("v-550")})) == ("compatible", "probe")


def test_unlistable_configuration_directory_makes_every_parent_unknown():
    record = judge(fleet(t=with_definitions(target_host(), error="EACCES")))
    assert verdict(record) == ("unknown", "unknown") and "could not be listed (EACCES)" in record["why"]


def test_reservation_does_not_turn_an_incompatible_parent_unknown():
    unreadable = with_definitions(target_host(version="v-999", mig=None, driver_version="1.0"),
                                  a=(PARENT, None, None, False))
    unreadable["parents"][PARENT]["types"][TYPE]["migration"] = {"attribute": "migration_version", "version": None,
                                                                 "supported": False, "errno": "ENODEV"}
    assert verdict(judge(fleet(t=unreadable)))[0] == "incompatible"


def test_facts_without_the_mdevctl_subset_reserve_nothing():
    record = judge(fleet(t=target_host(available=2)))
    assert record["capacity"] == 2 and record["reserved"] == {}


# -- vm_location: the same lookup as a filter of its own ----------------------------------------

def test_vm_location_gives_host_devices_and_state():
    from ansible_collections.vfio.mdev_migration.plugins.filter.vm_location import vm_location
    assert vm_location(fleet(src=two_gpu_source(), t=target_host()), "web01") == {
        "vm": "web01", "host": "src", "devices": [SRC_UUID, OTHER_UUID], "state": "running"}


def test_vm_location_refuses_stale_facts_of_the_vm_host():
    from ansible_collections.vfio.mdev_migration.plugins.filter.vm_location import vm_location
    old = with_vms(facts(gathered_at="2020-01-01T00:00:00Z"), web01=(True, [SRC_UUID]))
    with pytest.raises(AnsibleFilterError) as exc:
        vm_location(hostvars(src=old), "web01", max_age=3600)
    assert "vm web01 runs on src, whose facts are stale" in str(exc.value)
    # positive control: without max_age the same facts locate it
    assert vm_location(hostvars(src=old), "web01")["host"] == "src"


def test_vm_location_with_fresh_facts_ignores_the_cache_of_hosts_that_did_not_answer():
    from ansible_collections.vfio.mdev_migration.plugins.filter.vm_location import vm_location
    data = fleet(t=target_host())
    data["src"]["gathered"] = {"unreachable": True, "msg": "ssh: connect refused"}
    with pytest.raises(AnsibleFilterError) as exc:
        vm_location(data, "web01", fresh_facts="gathered")
    assert "VMs unknown on src (facts were not gathered in this run" in str(exc.value)


# -- what the review found: each case that lied, beside its control -----------------------------

def test_vm_holding_other_host_devices_is_an_error_naming_them():
    data = fleet(t=target_host())
    data["src"]["ansible_facts"]["mdev"]["domains"]["web01"]["other_hostdevs"] = ["hostdev usb"]
    assert "neither mdevs nor vendor-VFIO VFs of the host (hostdev usb)" in fails(data, vm="web01")


def test_host_whose_libvirt_was_read_in_part_has_unknown_vms():
    partial = with_vms(target_host())
    partial["libvirt"]["error"] = "virsh could not read domain u-9: failed to get domain"
    data = fleet(t=partial)
    # the VM is found on src; the partly read host is not assumed to be empty...
    assert by_vm(data)["t"]["selected"]
    # ...and a VM only that host could hold is not found there
    assert "t (libvirt was read only in part" in fails(data, vm="db02")


def test_one_machine_under_two_names_is_named_as_such():
    src = with_vms(source_host(), web01=(True, [SRC_UUID]))
    alias = dict(src)
    assert "one machine under several inventory names" in fails(hostvars(src=src, alias=alias), vm="web01")


@pytest.mark.parametrize("breakage", ["no_domains", "int_key", "available_string", "persistent_dict", "defined_int_key"])
def test_malformed_vm_facts_make_the_host_unknown_never_a_traceback(breakage):
    broken = with_definitions(with_vms(target_host(), db01=(True, [])), a=(PARENT, TYPE, "auto", False))
    if breakage == "no_domains":
        del broken["domains"]
    elif breakage == "int_key":
        broken["domains"][1234] = broken["domains"].pop("db01")
    elif breakage == "available_string":
        broken["libvirt"]["available"] = "no"
    elif breakage == "persistent_dict":
        broken["domains"]["db01"]["persistent"] = {}
    else:
        broken["defined"][7] = broken["defined"].popitem()[1]
    assert verdict(by_vm(fleet(t=broken))["t"]) == ("unknown", "unknown")
    assert "VMs unknown on t (malformed mdev facts)" in fails(fleet(t=broken), vm="db02")
