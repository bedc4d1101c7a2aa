# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""evacuation_plan: every rule with the case that would make it lie beside its positive control."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.filter.evacuation_plan import FilterModule
from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule as Targets
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    PARENT,
    accepted,
    device,
    facts,
    hostvars,
    mtype,
    parent,
    vf,
    with_definitions,
    with_vms,
)

PLAN = FilterModule().filters()["evacuation_plan"]
TARGETS = Targets().filters()["migration_targets"]
T, U = "nvidia-222", "nvidia-223"
PARENT2 = "0000:3c:00.0"
VERSIONS = {T: "v-222", U: "v-223"}


def uuid(n):
    return "6f2b1c52-8a31-4d0e-9f4e-%012d" % n


def source(**vms):
    """The host to drain: ``name=[type, ...]``, each device its own mdev on one mixed parent."""
    devices, held, serial = {}, {}, 0
    for name, types in sorted(vms.items()):
        held[name] = []
        for type_id in types:
            serial += 1
            devices[uuid(serial)] = device(PARENT, type_id)
            held[name].append(uuid(serial))
    types = dict((t, mtype(8, VERSIONS[t], devices=[u for u, d in devices.items() if d["type_id"] == t]))
                 for t in (T, U))
    host = facts(parents={PARENT: parent(types)}, devices=devices)
    return with_vms(host, **dict((name, (True, uuids)) for name, uuids in held.items()))


def target(*parents, devices=None, version=None):
    """A candidate: each parent a ``{type: free}`` mapping; ``devices``: ``{uuid: (parent, type)}`` held now."""
    names = [PARENT, PARENT2, "0000:3d:00.0"]
    held = dict((u, device(p, t)) for u, (p, t) in (devices or {}).items())

    def of(parent_name, type_id):
        return [u for u, d in held.items() if (d["parent"], d["type_id"]) == (parent_name, type_id)]

    return facts(parents=dict(
        (names[i], parent(dict((t, mtype(n, version or VERSIONS[t], devices=of(names[i], t))) for t, n in free.items())))
        for i, free in enumerate(parents)), devices=held)


def plan(data, **kw):
    kw.setdefault("source_host", "src")
    return PLAN(data, **kw)


def placed(result):
    return dict((p["vm"], p["target"]) for p in result["placements"])


def unplaced(result):
    return dict((u["vm"], u) for u in result["unplaced"])


def fails(data, **kw):
    with pytest.raises(AnsibleFilterError) as exc:
        plan(data, **kw)
    return str(exc.value)


# -- capacity is consumed as VMs are placed -----------------------------------------------------

def test_two_vms_never_count_on_the_same_last_instance():
    data = hostvars(src=source(a=[T], b=[T]), t1=target({T: 1}))
    result = plan(data)
    assert len(result["placements"]) == 1 and len(result["unplaced"]) == 1
    left_out = result["unplaced"][0]
    assert left_out["candidates"]["t1"].startswith("compatible but full: what is left does not take")
    assert result["capacity"]["t1"][PARENT][T] == 0
    # positive control: with a second instance both go
    assert placed(plan(hostvars(src=source(a=[T], b=[T]), t1=target({T: 2})))) == {"a": "t1", "b": "t1"}


def test_spread_balances_and_pack_fills():
    data = hostvars(src=source(a=[T]), t1=target({T: 3}), t2=target({T: 1}))
    assert placed(plan(data)) == {"a": "t1"}
    assert placed(plan(data, strategy="pack")) == {"a": "t2"}
    two = hostvars(src=source(a=[T], b=[T]), t1=target({T: 3}), t2=target({T: 3}))
    assert sorted(placed(plan(two)).values()) == ["t1", "t2"]
    assert sorted(placed(plan(two, strategy="pack")).values()) == ["t1", "t1"]


def test_min_available_keeps_spare_instances():
    data = hostvars(src=source(a=[T], b=[T]), t1=target({T: 2}))
    assert len(plan(data, min_available=2)["placements"]) == 1
    assert len(plan(data, min_available=1)["placements"]) == 2


# -- a parent that takes one type cannot be assumed to take another ----------------------------

def test_an_empty_parent_takes_only_the_first_type_placed_on_it():
    data = hostvars(src=source(a=[T], b=[U]), t1=target({T: 4, U: 4}))
    result = plan(data)
    assert len(result["placements"]) == 1
    why = result["unplaced"][0]["candidates"]["t1"]
    assert "cannot be assumed to take another" in why
    # positive control: two parents, one type each
    assert placed(plan(hostvars(src=source(a=[T], b=[U]), t1=target({T: 4, U: 4}, {T: 4, U: 4})))) == \
        {"a": "t1", "b": "t1"}


def test_a_parent_holding_one_type_takes_no_other():
    held = {uuid(900): (PARENT, T)}
    data = hostvars(src=source(b=[U]), t1=target({T: 3, U: 2}, devices=held))
    assert "holds nvidia-222" in unplaced(plan(data))["b"]["candidates"]["t1"]
    # positive control: the type it holds goes
    assert placed(plan(hostvars(src=source(b=[T]), t1=target({T: 3, U: 2}, devices=held)))) == {"b": "t1"}


def test_a_parent_already_mixing_types_shares_one_pool():
    held = {uuid(900): (PARENT, T), uuid(901): (PARENT, U)}
    # 2 free of each: a T takes half the pool, so one U is left, not two
    data = hostvars(src=source(a=[T], b=[U], c=[U]), t1=target({T: 2, U: 2}, devices=held))
    result = plan(data)
    assert len(result["placements"]) == 2 and len(result["unplaced"]) == 1
    assert result["capacity"]["t1"][PARENT] == {T: 0, U: 0}
    # positive control: the pool holds a T and a U
    assert len(plan(hostvars(src=source(a=[T], b=[U]), t1=target({T: 2, U: 2}, devices=held)))["placements"]) == 2


# -- all devices of a VM on one target ----------------------------------------------------------

def test_a_vm_is_never_split_across_hosts():
    data = hostvars(src=source(r=[T, U]), t1=target({T: 4}), t2=target({U: 4}))
    result = plan(data)
    assert result["placements"] == []
    assert unplaced(result)["r"]["candidates"]["t1"].startswith("incompatible")
    # positive control: a host with a parent for each type takes both
    result = plan(hostvars(src=source(r=[T, U]), t1=target({T: 4}), t3=target({T: 4}, {U: 4})))
    assert placed(result) == {"r": "t3"}
    assert [(d["type_id"], d["target_parent"]) for d in result["placements"][0]["devices"]] == \
        [(T, PARENT), (U, PARENT2)]


def test_devices_of_one_vm_are_placed_together_on_a_parent_with_room():
    # the first parent has room for one only: both devices must go to the second
    data = hostvars(src=source(r=[T, T]), t1=target({T: 1}, {T: 2}))
    result = plan(data)
    assert [d["target_parent"] for d in result["placements"][0]["devices"]] in ([PARENT2, PARENT2],
                                                                                [PARENT, PARENT2])
    assert result["capacity"]["t1"][PARENT][T] + result["capacity"]["t1"][PARENT2][T] == 1
    assert not plan(hostvars(src=source(r=[T, T, T, T]), t1=target({T: 1}, {T: 2})))["placements"]


# -- the verdict rules of migration_targets ------------------------------------------------------

def test_unknown_is_never_placed():
    data = hostvars(src=source(a=[T]), noversion=target({T: 8}, version=""), nofacts=None)
    data["noversion"]["ansible_facts"]["mdev"]["parents"][PARENT]["types"][T]["migration"] = {
        "attribute": None, "version": None, "supported": None, "errno": None}
    result = plan(data)
    assert result["placements"] == []
    reasons = unplaced(result)["a"]["candidates"]
    assert reasons["noversion"].startswith("unknown:") and reasons["nofacts"].startswith("unknown:")
    # positive control: a host with the same version is used
    data["ok"] = hostvars(ok=target({T: 1}))["ok"]
    assert placed(plan(data)) == {"a": "ok"}


def test_with_probes_a_host_without_a_probe_record_is_not_used():
    data = hostvars(src=source(a=[T]), probed=target({T: 1}, version="v-other"), silent=target({T: 8}))
    data["probed"]["probe"] = accepted("v-222")
    result = plan(data, probes="probe")
    assert placed(result) == {"a": "probed"}
    assert result["placements"][0]["evidence"] == "probe"
    assert unplaced(plan(dict(data, probed=hostvars(p=target({T: 1}))["p"]), probes="probe"))["a"]["candidates"][
        "silent"].startswith("unknown:")


def test_capacity_reserved_by_mdevctl_is_not_counted():
    reserved = with_definitions(target({T: 1}), r=(PARENT, T, "auto", False))
    assert plan(hostvars(src=source(a=[T]), t1=reserved))["placements"] == []
    manual = with_definitions(target({T: 1}), r=(PARENT, T, "manual", False))
    assert placed(plan(hostvars(src=source(a=[T]), t1=manual))) == {"a": "t1"}


def test_a_host_holding_the_vm_uuid_is_not_used():
    data = hostvars(src=source(a=[T]), clash=target({T: 4}, devices={uuid(1): (PARENT, T)}), ok=target({T: 1}))
    assert placed(plan(data)) == {"a": "ok"}
    del data["ok"]
    assert "already holds or defines an mdev with the UUID" in unplaced(plan(data))["a"]["candidates"]["clash"]


def test_a_host_whose_mdevctl_defines_the_vm_uuid_is_not_used_by_the_plan_nor_the_gate():
    defines = with_definitions(target({T: 4}), other=(PARENT, T, "manual", False))
    data = hostvars(src=source(a=[T]), defines=defines, ok=target({T: 1}))
    # Control: a definition of another UUID takes nothing (manual start) and is no clash.
    assert placed(plan(hostvars(src=source(a=[T]), defines=defines))) == {"a": "defines"}
    defined = data["defines"]["ansible_facts"]["mdev"]["defined"]
    defined[uuid(1)] = dict(next(iter(defined.values())), start="manual", active=False)
    assert placed(plan(data)) == {"a": "ok"}
    del data["ok"]
    assert "already holds or defines an mdev with the UUID %s" % uuid(1) \
        in unplaced(plan(data))["a"]["candidates"]["defines"]
    # Definitions that could not be listed may hold the VM's UUID: the host is not used.
    unseen = with_definitions(target({T: 4}), other=(PARENT, T, "manual", False))
    unseen["mdevctl"]["unreadable_parents"] = ["0000:af:00.0"]
    assert placed(plan(hostvars(src=source(a=[T]), unseen=unseen))) == {}
    # The gate's filter says the same of that host, by the same rule.
    (record,) = Targets().filters()["migration_targets"](data, "src", uuid(1), details=True)
    assert (record["host"], record["verdict"], record["evidence"]) == ("defines", "incompatible", "policy")
    assert "mdevctl on the host already defines an mdev with the source device's UUID" in record["reasons"][0]


def test_match_vars_and_where_apply():
    data = hostvars(src=source(a=[T]), t1=target({T: 4}), t2=target({T: 1}))
    data["src"]["ecc_mode"], data["t1"]["ecc_mode"], data["t2"]["ecc_mode"] = "on", "off", "on"
    assert placed(plan(data, match_vars=["ecc_mode"])) == {"a": "t2"}
    assert placed(plan(data)) == {"a": "t1"}
    assert placed(plan(data, where="host == 't2'")) == {"a": "t2"}


# -- order --------------------------------------------------------------------------------------

def test_the_most_constrained_vm_is_placed_first():
    # "a" could go to t1 or t2, "b" (two devices) only to t1: "b" goes first whatever the names say
    data = hostvars(src=source(a=[T], b=[T, T]), t1=target({T: 2}), t2=target({T: 1}))
    result = plan(data, strategy="pack")
    assert result["order"] == ["b", "a"]
    assert placed(result) == {"a": "t2", "b": "t1"}
    assert dict((p["vm"], p["alternatives"]) for p in result["placements"]) == {"a": 2, "b": 1}


def test_placements_agree_with_migration_targets():
    data = hostvars(src=source(a=[T], b=[U], c=[T, U]), t1=target({T: 2}, {U: 2}), t2=target({T: 1, U: 1}),
                    t3=target({T: 4}, version="v-x"))
    for p in plan(data)["placements"]:
        selected = TARGETS(data, vm=p["vm"], min_available=0)
        assert p["target"] in selected


# -- VMs that cannot be judged, and bad input ---------------------------------------------------

def test_a_vm_running_on_two_hosts_is_not_placed():
    other = with_vms(target({T: 4}), a=(True, []))
    result = plan(hostvars(src=source(a=[T]), twin=other, t1=target({T: 4})))
    assert "also running on twin" in unplaced(result)["a"]["why"]
    shut = with_vms(target({T: 4}), a=(False, []))
    assert placed(plan(hostvars(src=source(a=[T]), twin=shut, t1=target({T: 4})))) == {"a": "t1"}


def test_a_vm_with_other_host_devices_is_listed_not_placed():
    src = source(a=[T])
    src["domains"]["a"]["other_hostdevs"] = ["pci 0000:5e:00.0"]
    result = plan(hostvars(src=src, t1=target({T: 4})))
    assert "neither mdevs nor vendor-VFIO VFs" in unplaced(result)["a"]["why"]
    assert result["summary"] == {"vms": 1, "placed": 0, "unplaced": 1}


@pytest.mark.parametrize("kw, message", [
    ({"source_host": "nosuch"}, "source_host 'nosuch' is not in the inventory"),
    ({"vms": ["nosuch"]}, "vm nosuch is not running on source_host src"),
    ({"vms": ["idle"]}, "vm idle on src holds no mdev and no vendor-VFIO VF"),
    ({"vms": ["stopped"]}, "defined there but shut off"),
    ({"strategy": "random"}, "strategy"),
    ({"min_available": True}, "must be an integer"),
])
def test_bad_input_names_it(kw, message):
    src = source(a=[T])
    src["domains"]["idle"] = dict(src["domains"]["a"], mdevs=[])
    src["domains"]["stopped"] = dict(src["domains"]["a"], active=False, state="shut off")
    assert message in fails(hostvars(src=src, t1=target({T: 4})), **kw)


def test_a_source_whose_vms_are_unknown_is_refused():
    assert "its VMs are not known (the libvirt subset was not gathered)" in fails(
        hostvars(src=target({T: 4}), t1=target({T: 4})))


# -- found by review: each case that made the plan lie, with its control ----------------------------

def test_device_level_records_are_judged():
    src = source(a=[T])
    src["devices"][uuid(1)]["migration"] = {"attribute": "migration_version", "version": None, "supported": False,
                                            "errno": "ENODEV"}
    data = hostvars(src=src, t1=target({T: 4}))
    assert plan(data)["placements"] == [] and TARGETS(data, vm="a", min_available=0) == []
    src["devices"][uuid(1)]["migration"] = {"attribute": "migration_version", "version": "v-222", "supported": True,
                                            "errno": None}
    assert placed(plan(data)) == {"a": "t1"}


def test_a_gpu_of_vendor_vfio_vfs_takes_one_vm_per_plan():
    vgpu = 557
    src_vfs = dict(("0000:41:00.%d" % i, vf("0000:41:00.0", current=vgpu)) for i in range(4, 8))
    src = facts(vendor_vfio=src_vfs)
    src = with_vms(src, **dict((n, (True, [], [a])) for n, a in zip("abcd", sorted(src_vfs))))

    def gpu(bus):
        physfn = "0000:%s:00.0" % bus
        return dict(("0000:%s:%02d.%d" % (bus, d, i), vf(physfn, current=0, creatable={str(vgpu): "L40S-24Q"}))
                    for d in (1, 2) for i in range(8))
    # 16 free VFs say that one more vGPU fits, not sixteen
    result = plan(hostvars(src=src, t1=facts(vendor_vfio=gpu("81"))))
    assert len(result["placements"]) == 1
    two_gpus = dict(gpu("81"), **gpu("c1"))
    assert len(plan(hostvars(src=src, t1=facts(vendor_vfio=two_gpus)))["placements"]) == 2


def test_one_machine_under_two_names_is_not_counted_twice():
    twin = target({T: 1})
    data = hostvars(src=source(a=[T], b=[T]), gpu7=twin, alias=dict(twin))
    result = plan(data)
    assert result["placements"] == []
    assert "one machine under several inventory names" in unplaced(result)["a"]["candidates"]["gpu7"]
    other = target({T: 1})
    assert sorted(placed(plan(hostvars(src=source(a=[T], b=[T]), gpu7=twin, other=other))).values()) == \
        ["gpu7", "other"]


@pytest.mark.parametrize("key, entry", [("devices", "garbage"), ("devices", {"parent": PARENT, "type_id": ["x"]}),
                                        ("vendor_vfio", "junk")])
def test_malformed_devices_of_a_candidate_make_it_unknown(key, entry):
    bad = target({T: 4})
    bad[key] = {"6f2b1c52-8a31-4d0e-9f4e-000000000900": entry}
    result = plan(hostvars(src=source(a=[T]), bad=bad))
    assert unplaced(result)["a"]["candidates"]["bad"].startswith("unknown: malformed mdev facts")


def test_a_candidate_that_defines_the_uuid_is_not_used():
    defines = with_definitions(target({T: 4}, {T: 4}), d=(PARENT2, T, "manual", False))
    uuid_defined = sorted(defines["defined"])[0]
    src = source(a=[T])
    src["devices"][uuid_defined] = src["devices"].pop(uuid(1))
    src["domains"]["a"]["mdevs"] = [uuid_defined]
    assert placed(plan(hostvars(src=src, t1=defines))) == {}
    assert placed(plan(hostvars(src=src, t1=target({T: 4})))) == {"a": "t1"}


def test_a_device_held_twice_is_not_planned():
    src = source(a=[T], b=[T])
    src["domains"]["b"]["mdevs"] = list(src["domains"]["a"]["mdevs"])
    result = plan(hostvars(src=src, t1=target({T: 4})))
    assert result["placements"] == []
    assert "names 6f2b1c52-8a31-4d0e-9f4e-000000000001 more than once" in unplaced(result)["a"]["why"]


def test_reasons_of_an_unplaced_vm_are_bounded():
    hosts = dict(("t%03d" % i, target({U: 4})) for i in range(60))
    result = plan(hostvars(src=source(a=[T]), **hosts))
    left_out = unplaced(result)["a"]
    assert len(left_out["candidates"]) == 50 and left_out["candidates_not_listed"] == 10
    assert left_out["verdicts"] == {"incompatible": 60}
