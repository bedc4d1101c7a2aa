# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decision table, row by row, through the public filter (migration_targets, details=true).

Every row has a case that would make the code lie if the row were missing, and a positive control
that shows the same fleet is otherwise compatible (so the negative case fails for the named reason).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.filter.migration_domains import FilterModule as DomainFilters
from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    NOT_GATHERED,
    PARENT,
    SRC_UUID,
    TYPE,
    accepted,
    facts,
    hostvars,
    judge,
    migration,
    mtype,
    parent,
    probe_loop,
    probe_record,
    probe_result,
    registered_facts,
    source_host,
    stamp,
    target_host,
    unreadable,
    unsupported,
    verdict,
    vf,
)

targets = FilterModule().filters()["migration_targets"]
domains = DomainFilters().filters()["migration_domains"]


def said(rec, text):
    return any(text in r for r in rec["reasons"])


# ---- host level ----------------------------------------------------------------------------------

def test_no_facts_is_unknown():
    assert verdict(judge(hostvars(src=source_host(), t=target_host()))) == ("compatible", "version")
    rec = judge(hostvars(src=source_host(), t=None))
    assert verdict(rec) == ("unknown", "unknown") and not rec["selected"] and said(rec, "no mdev facts")


@pytest.mark.parametrize("path, value, named", [
    (("kernel_release",), 6, "kernel_release"),
    (("machine_id",), ["m"], "machine_id"),
    (("boot_id",), 1, "boot_id"),
    (("gathered_at",), 1764265500, "gathered_at"),
    (("parents",), [], "parents"),
    (("devices",), "none", "devices"),
    (("vendor_vfio",), 3, "vendor_vfio"),
    (("gather_subset",), "types", "gather_subset"),
    (("parents", PARENT, "subsystem"), 1, "subsystem"),
    (("parents", PARENT, "driver_in_tree"), "yes", "driver_in_tree"),
    (("parents", PARENT, "driver_version"), 550, "driver_version"),
    (("parents", PARENT, "pci"), "10de:1eb8", "pci"),
    (("parents", PARENT, "pci", "device_id"), 0x1eb8, "pci"),
    (("parents", PARENT, "types"), [TYPE], "types"),
])
def test_malformed_host_facts_are_unknown_naming_the_key(path, value, named):
    data = hostvars(src=source_host(), t=target_host())
    assert verdict(judge(data)) == ("compatible", "version")
    node = data["t"]["ansible_facts"]["mdev"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    rec = judge(data)
    assert verdict(rec) == ("unknown", "unknown")
    assert rec["reasons"][0].startswith("malformed mdev facts: ") and named in rec["reasons"][0]


@pytest.mark.parametrize("gathered_at", [None, stamp(7200), "yesterday", "2026-11-27 17:45:00", stamp(-3600)],
                         ids=["missing", "older", "unparseable", "no-T", "future"])
def test_max_age_stale_or_unknown_age_is_unknown(gathered_at):
    data = hostvars(src=source_host(), t=target_host())
    data["src"]["ansible_facts"]["mdev"]["gathered_at"] = stamp(30)
    data["t"]["ansible_facts"]["mdev"]["gathered_at"] = stamp(60)
    assert verdict(judge(data, max_age=600)) == ("compatible", "version")
    data["t"]["ansible_facts"]["mdev"]["gathered_at"] = gathered_at
    assert verdict(judge(data)) == ("compatible", "version")          # no max_age: age is not asked
    rec = judge(data, max_age=600)
    assert verdict(rec) == ("unknown", "unknown") and said(rec, "stale facts")


@pytest.mark.parametrize("gathered_at", [None, stamp(7200)], ids=["missing", "older"])
def test_max_age_applies_to_the_source_too(gathered_at):
    data = hostvars(src=source_host(), t=target_host())
    data["t"]["ansible_facts"]["mdev"]["gathered_at"] = stamp(60)
    data["src"]["ansible_facts"]["mdev"]["gathered_at"] = stamp(30)
    assert verdict(judge(data, max_age=600)) == ("compatible", "version")
    data["src"]["ansible_facts"]["mdev"]["gathered_at"] = gathered_at
    with pytest.raises(AnsibleFilterError, match="source_host src: stale facts"):
        judge(data, max_age=600)


@pytest.mark.parametrize("registered", [
    None,
    {"failed": True, "msg": "boom"},
    {"unreachable": True, "msg": "ssh"},
    {"skipped": True},
    {"changed": False},                       # ran, but holds no mdev facts
    "failed-with-facts",                      # a failed task's result can still carry facts
    "unreachable-with-facts",
    "skipped-with-facts",
], ids=["missing", "failed", "unreachable", "skipped", "no-facts", "failed-with-facts", "unreachable-with-facts",
        "skipped-with-facts"])
def test_fresh_facts_ignore_cached_facts_of_a_host_that_did_not_answer(registered):
    data = hostvars(src=source_host(), t=target_host())
    data["src"]["gathered"] = registered_facts(data["src"]["ansible_facts"]["mdev"])
    data["t"]["gathered"] = registered_facts(data["t"]["ansible_facts"]["mdev"])
    assert verdict(judge(data, fresh_facts="gathered")) == ("compatible", "version")
    if registered is None:
        del data["t"]["gathered"]
    elif isinstance(registered, str):
        data["t"]["gathered"][registered.split("-")[0]] = True
    else:
        data["t"]["gathered"] = registered
    assert verdict(judge(data)) == ("compatible", "version")          # the cache alone still answers
    rec = judge(data, fresh_facts="gathered")
    assert verdict(rec) == ("unknown", "unknown") and not rec["selected"]


def test_fresh_facts_source_must_have_answered():
    data = hostvars(src=source_host(), t=target_host())
    data["t"]["gathered"] = registered_facts(data["t"]["ansible_facts"]["mdev"])
    data["src"]["gathered"] = {"unreachable": True, "msg": "ssh"}
    with pytest.raises(AnsibleFilterError, match="vfio.mdev_migration.migration_targets: source_host src"):
        targets(data, "src", SRC_UUID, fresh_facts="gathered")


@pytest.mark.parametrize("key", ["machine_id", "boot_id"])
def test_same_machine_under_another_name_is_incompatible(key):
    data = hostvars(src=source_host(), t=target_host())
    assert verdict(judge(data)) == ("compatible", "version")
    data["t"]["ansible_facts"]["mdev"][key] = data["src"]["ansible_facts"]["mdev"][key]
    rec = judge(data)
    assert verdict(rec) == ("incompatible", "policy") and said(rec, "own machine")


def test_null_ids_are_never_equal():
    data = hostvars(src=source_host(), t=target_host())
    for key in ("machine_id", "boot_id"):
        data["src"]["ansible_facts"]["mdev"][key] = None
        data["t"]["ansible_facts"]["mdev"][key] = None
    assert verdict(judge(data)) == ("compatible", "version")


def test_target_holding_the_source_uuid_is_incompatible():
    data = hostvars(src=source_host(), t=target_host())
    assert verdict(judge(data)) == ("compatible", "version")
    data["t"]["ansible_facts"]["mdev"]["devices"][SRC_UUID] = {"parent": PARENT, "type_id": TYPE,
                                                               "migration": migration()}
    rec = judge(data)
    assert verdict(rec) == ("incompatible", "policy") and said(rec, SRC_UUID)


def test_candidate_not_in_the_input_is_unknown():
    data = hostvars(src=source_host(), t=target_host())
    recs = {r["host"]: r for r in targets(data, "src", SRC_UUID, candidates=["t", "ghost"], details=True)}
    assert verdict(recs["t"]) == ("compatible", "version")
    assert verdict(recs["ghost"]) == ("unknown", "unknown") and said(recs["ghost"], "not in the inventory")


# ---- version rows --------------------------------------------------------------------------------

P1, P2, A = migration("v1"), migration("v2"), migration()
U, R, N = unsupported(), unreadable(), NOT_GATHERED
NAMES = {id(P1): "P1", id(P2): "P2", id(A): "A", id(U): "U", id(R): "R", id(N): "N"}
ALL = ("auto", "version", "identity")

VERSION_ROWS = [
    # (source type record, target type record, policy, expected)
    (U, P1, ALL, ("incompatible", "version")),
    (U, A, ALL, ("incompatible", "version")),
    (P1, U, ALL, ("incompatible", "version")),
    (A, U, ALL, ("incompatible", "version")),
    (R, P1, ALL, ("unknown", "unknown")),
    (P1, R, ALL, ("unknown", "unknown")),
    (A, R, ALL, ("unknown", "unknown")),
    (N, P1, ALL, ("unknown", "unknown")),
    (P1, N, ALL, ("unknown", "unknown")),
    (N, A, ALL, ("unknown", "unknown")),
    (P1, P1, ("auto", "version"), ("compatible", "version")),
    (P1, P1, ("identity",), ("compatible", "policy")),
    (P1, P2, ALL, ("unknown", "unknown")),
    (P1, A, ALL, ("unknown", "unknown")),
    (A, P1, ALL, ("unknown", "unknown")),
    (A, A, ("version",), ("unknown", "unknown")),
    (A, A, ("auto", "identity"), ("compatible", "policy")),
]


def _cases():
    for src, dst, policies, expected in VERSION_ROWS:
        for policy in policies:
            yield pytest.param(src, dst, policy, expected, id="%s-%s-%s" % (NAMES[id(src)], NAMES[id(dst)], policy))


@pytest.mark.parametrize("src, dst, policy, expected", list(_cases()))
def test_version_rows(src, dst, policy, expected):
    data = hostvars(src=source_host(mig=copy.deepcopy(src) if src is not N else N),
                    t=target_host(mig=copy.deepcopy(dst) if dst is not N else N))
    rec = judge(data, policy=policy)
    assert verdict(rec) == expected, rec["reasons"]
    assert rec["selected"] == (expected[0] == "compatible")


@pytest.mark.parametrize("policy", ["auto", "identity"])
def test_identity_is_reached_after_equal_versions_only_under_identity_policy(policy):
    data = hostvars(src=source_host(mig=migration("v1")), t=target_host(mig=migration("v1"), driver="nouveau"))
    expected = ("compatible", "version") if policy == "auto" else ("incompatible", "policy")
    assert verdict(judge(data, policy=policy)) == expected


@pytest.mark.parametrize("device_mig, expected", [
    (migration(), ("compatible", "version")),                 # control: no device-level attribute
    (migration("v1"), ("compatible", "version")),             # control: the same version at device level
    (migration("v2"), ("unknown", "unknown")),                # the device publishes another version
    (unsupported(), ("incompatible", "version")),
    (unreadable(), ("unknown", "unknown")),
    (NOT_GATHERED, ("unknown", "unknown")),                   # versions of the device were not gathered
    (migration("v1\n"), ("unknown", "unknown")),
])
def test_device_level_record_is_compared_too(device_mig, expected):
    data = hostvars(src=source_host(mig=migration("v1"), device_mig=device_mig), t=target_host(mig=migration("v1")))
    assert verdict(judge(data)) == expected


def test_device_level_version_against_a_target_without_one_is_unknown():
    data = hostvars(src=source_host(mig=migration(), device_mig=migration("v1")), t=target_host(mig=migration()))
    assert verdict(judge(data)) == ("unknown", "unknown")
    data = hostvars(src=source_host(mig=migration(), device_mig=migration()), t=target_host(mig=migration()))
    assert verdict(judge(data)) == ("compatible", "policy")


@pytest.mark.parametrize("bad", ["", "   ", "\t", "v1\n", "v\x00", "v\x7f", "v\u00e9", "x" * 4097])
def test_versions_the_probe_would_refuse_are_unreadable_never_equal(bad):
    assert verdict(judge(hostvars(src=source_host(mig=migration("x" * 4096)),
                                  t=target_host(mig=migration("x" * 4096))))) == ("compatible", "version")
    rec = judge(hostvars(src=source_host(mig=migration(bad)), t=target_host(mig=migration(bad))))
    assert verdict(rec) == ("unknown", "unknown") and said(rec, "not a usable version")


# ---- identity rule -------------------------------------------------------------------------------

def identity_pair(src_kw=None, dst_kw=None, src_type=None, dst_type=None, src_kernel=None, dst_kernel=None):
    src = source_host(mig=migration(), **(src_kw or {}))
    dst = target_host(mig=migration(), **(dst_kw or {}))
    if src_type:
        src["parents"][PARENT]["types"][TYPE].update(src_type)
    if dst_type:
        dst["parents"][PARENT]["types"][TYPE].update(dst_type)
    if src_kernel is not None:
        src["kernel_release"] = src_kernel
    if dst_kernel is not None:
        dst["kernel_release"] = dst_kernel
    return hostvars(src=src, t=dst)


def test_identity_control_lists_what_was_compared():
    rec = judge(identity_pair(), policy="identity")
    assert verdict(rec) == ("compatible", "policy")
    for item in ("device_api vfio-pci", "parent PCI vendor_id 10de", "parent PCI device_id 1eb8",
                 "parent PCI subsystem_vendor_id 10de", "parent PCI subsystem_device_id 12a2", "driver nvidia",
                 "driver version 550.54.10"):
        assert said(rec, item), (item, rec["reasons"])


def _pci(**change):
    pci = {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de", "subsystem_device_id": "12a2"}
    pci.update(change)
    return {"pci": pci}


IDENTITY_ROWS = [
    ("device_api differs", {}, {}, {}, {"device_api": "vfio-ccw"}, "incompatible"),
    ("device_api unknown", {}, {}, {}, {"device_api": None}, "unknown"),
    ("device_api unknown on source", {}, {}, {"device_api": None}, {}, "unknown"),
    ("pci vs mtty", {}, {"subsystem": "mtty", "bus": None}, {}, {}, "incompatible"),
    ("kind unknown", {}, {"subsystem": None, "bus": None}, {}, {}, "unknown"),
    ("bus pci stands for subsystem", {}, {"subsystem": None, "bus": "pci"}, {}, {}, "compatible"),
    ("mtty vs mtty", {"subsystem": "mtty", "bus": None, "pci": {}}, {"subsystem": "mtty", "bus": None, "pci": {}},
     {}, {}, "compatible"),
    ("mtty vs mdpy", {"subsystem": "mtty", "bus": None}, {"subsystem": "mdpy", "bus": None}, {}, {}, "incompatible"),
    ("vendor differs", {}, _pci(vendor_id="8086"), {}, {}, "incompatible"),
    ("device differs", {}, _pci(device_id="1eb9"), {}, {}, "incompatible"),
    ("subsystem vendor differs", {}, _pci(subsystem_vendor_id="17aa"), {}, {}, "incompatible"),
    ("subsystem device differs", {}, _pci(subsystem_device_id="12a3"), {}, {}, "incompatible"),
    ("vendor unknown", {}, _pci(vendor_id=None), {}, {}, "unknown"),
    ("device unknown on source", _pci(device_id=None), {}, {}, {}, "unknown"),
    ("subsystem vendor unknown", {}, _pci(subsystem_vendor_id=None), {}, {}, "unknown"),
    ("subsystem device unknown", {}, _pci(subsystem_device_id=None), {}, {}, "unknown"),
    ("revision is not compared", {}, dict(_pci(), **{}), {}, {}, "compatible"),
    ("driver differs", {}, {"driver": "nouveau"}, {}, {}, "incompatible"),
    ("driver unknown", {}, {"driver": None}, {}, {}, "unknown"),
    ("driver version differs", {}, {"driver_version": "550.90.07"}, {}, {}, "incompatible"),
    ("driver version unknown on target", {}, {"driver_version": None}, {}, {}, "unknown"),
    ("driver version unknown on source", {"driver_version": None}, {}, {}, {}, "unknown"),
]


@pytest.mark.parametrize("src_kw, dst_kw, src_type, dst_type, expected",
                         [pytest.param(*row[1:], id=row[0]) for row in IDENTITY_ROWS])
@pytest.mark.parametrize("policy", ["auto", "identity"])
def test_identity_rows(src_kw, dst_kw, src_type, dst_type, expected, policy):
    rec = judge(identity_pair(src_kw, dst_kw, src_type, dst_type), policy=policy)
    assert rec["verdict"] == expected, rec["reasons"]
    assert rec["evidence"] == ("unknown" if expected == "unknown" else "policy")


@pytest.mark.parametrize("src_tree, dst_tree, src_kernel, dst_kernel, expected", [
    (True, True, "6.8.0", "6.8.0", "compatible"),
    (True, True, "6.8.0", "6.1.0", "incompatible"),
    (True, True, "6.8.0", None, "unknown"),
    (True, False, "6.8.0", "6.8.0", "unknown"),
    (True, None, "6.8.0", "6.8.0", "unknown"),
    (None, True, "6.8.0", "6.8.0", "unknown"),
    (False, False, "6.8.0", "6.8.0", "unknown"),
])
def test_kernel_release_stands_for_the_driver_version_only_in_tree_on_both_sides(
        src_tree, dst_tree, src_kernel, dst_kernel, expected):
    src = source_host(mig=migration(), driver="i915", driver_version=None, driver_in_tree=src_tree)
    dst = target_host(mig=migration(), driver="i915", driver_version=None, driver_in_tree=dst_tree)
    src["kernel_release"], dst["kernel_release"] = src_kernel, dst_kernel
    rec = judge(hostvars(src=src, t=dst))
    assert rec["verdict"] == expected, rec["reasons"]


def test_in_tree_does_not_override_a_known_driver_version():
    src = source_host(mig=migration(), driver_version="1", driver_in_tree=True)
    dst = target_host(mig=migration(), driver_version="2", driver_in_tree=True)
    assert verdict(judge(hostvars(src=src, t=dst))) == ("incompatible", "policy")


# ---- vendor-VFIO ---------------------------------------------------------------------------------

VF = "0000:41:00.4"


def vf_fleet(**targets_vfs):
    src = facts(vendor_vfio={VF: vf(current=1428), "0000:41:00.5": vf(creatable={"1428": "H100-40C"})})
    data = hostvars(src=src)
    data.update(hostvars(**dict((h, facts(vendor_vfio=v)) for h, v in targets_vfs.items())))
    return data


def test_vendor_vfio_version_policy_is_unknown():
    data = vf_fleet(t={VF: vf(creatable={"1428": "x"})})
    assert verdict(judge(data, device=VF)) == ("compatible", "policy")
    assert verdict(judge(data, device=VF, policy="version")) == ("unknown", "unknown")


def test_vendor_vfio_gpu_that_neither_offers_nor_runs_the_type_is_incompatible():
    data = vf_fleet(t={VF: vf(creatable={"1429": "x"}), "0000:41:00.5": vf(current=1429)},
                    runs={VF: vf(current=1428)})
    rec = judge(data, device=VF)
    assert verdict(rec) == ("incompatible", "policy") and rec["capacity"] == 0
    rec = judge(data, "runs", device=VF)
    assert verdict(rec) == ("compatible", "policy") and rec["capacity"] == 0 and not rec["selected"]


@pytest.mark.parametrize("change, expected", [
    ({"driver_version": "580.95"}, "incompatible"),
    ({"driver_version": None}, "unknown"),
    ({"driver": None}, "unknown"),
    ({"pci": {"vendor_id": "10de", "device_id": "2330", "subsystem_vendor_id": "10de",
              "subsystem_device_id": "1626"}}, "incompatible"),
    ({"pci": {"vendor_id": "10de", "device_id": None, "subsystem_vendor_id": "10de",
              "subsystem_device_id": "1626"}}, "unknown"),
    ({"pci": None}, "unknown"),
])
def test_vendor_vfio_identity(change, expected):
    target = vf(creatable={"1428": "x"})
    assert judge(vf_fleet(t={VF: dict(target)}), device=VF)["verdict"] == "compatible"
    target.update(change)
    assert judge(vf_fleet(t={VF: target}), device=VF)["verdict"] == expected


def test_vendor_vfio_capacity_counts_only_idle_vfs_that_can_create_the_type():
    data = vf_fleet(t={
        "0000:41:00.4": vf(current=0, creatable={"1428": "x"}),
        "0000:41:00.5": vf(current=None, creatable={"1428": "x"}),      # unreadable: never free
        "0000:41:00.6": vf(current=1428, creatable={"1428": "x"}),      # in use
        "0000:41:00.7": vf(current=0, creatable={"1429": "y"}),         # idle, other type
    })
    rec = judge(data, device=VF)
    assert verdict(rec) == ("compatible", "policy")
    assert rec["capacity"] == 1 and rec["free_vfs"] == ["0000:41:00.4"]
    assert judge(data, device=VF, min_available=2)["selected"] is False


def test_vendor_vfio_source_must_run_a_readable_type():
    for current in (0, None):
        data = vf_fleet(t={VF: vf(creatable={"1428": "x"})})
        data["src"]["ansible_facts"]["mdev"]["vendor_vfio"][VF]["current_type"] = current
        with pytest.raises(AnsibleFilterError, match="vfio.mdev_migration.migration_targets: device"):
            targets(data, "src", VF)


# ---- probe override ------------------------------------------------------------------------------

def probe_fleet(src_mig=None, dev_mig=None, dst_mig=None):
    return hostvars(src=source_host(mig=src_mig or migration("v1"), device_mig=dev_mig),
                    t=target_host(mig=dst_mig or migration("v2")))


def test_probe_full_acceptance_is_compatible():
    rec = judge(probe_fleet(), probes={"t": accepted("v1")})
    assert verdict(rec) == ("compatible", "probe") and rec["selected"]


def test_probe_must_accept_the_device_level_version_too():
    data = probe_fleet(dev_mig=migration("v1-dev"))
    assert verdict(judge(data, probes={"t": accepted("v1", "v1-dev")})) == ("compatible", "probe")
    rec = judge(data, probes={"t": accepted("v1")})
    assert verdict(rec) == ("unknown", "unknown") and said(rec, "v1-dev")


@pytest.mark.parametrize("records, expected, reason", [
    ([probe_record("v1", "incompatible", errno="EINVAL")], ("incompatible", "probe"), "refused"),
    ([probe_record("v1"), probe_record("v1", "incompatible")], ("incompatible", "probe"), "refused"),
    ([probe_record("v1", "error", errno="EIO")], ("unknown", "unknown"), "EIO"),
    ([probe_record("v1", "unsupported", errno="ENODEV")], ("unknown", "unknown"), "unsupported"),
    ([probe_record("v1", written=1)], ("unknown", "unknown"), "wrote 1"),
    ([probe_record("v1", written=0)], ("unknown", "unknown"), "wrote 0"),
    ([probe_record("v1", written=3)], ("unknown", "unknown"), "wrote 3"),
    ([dict(probe_record("v1"), written=None)], ("unknown", "unknown"), "wrote None"),
    ([dict(probe_record("v1"), written=True)], ("unknown", "unknown"), "wrote True"),
    ([probe_record("v1"), probe_record("v1", written=1)], ("unknown", "unknown"), "wrote 1"),
    ([probe_record("v1", type_id="nvidia-223")], ("unknown", "unknown"), "no probe record"),
    ([probe_record("v1", parent_name="0000:5e:00.0")], ("unknown", "unknown"), "no probe record"),
    ([probe_record("v1", type_id=None)], ("unknown", "unknown"), "no probe record"),
    ([probe_record("v1", device=SRC_UUID)], ("unknown", "unknown"), "no probe record"),
    ([probe_record("v2")], ("unknown", "unknown"), "no probe record"),
    ([], ("unknown", "unknown"), "no probe record"),
])
def test_probe_rows(records, expected, reason):
    rec = judge(probe_fleet(), probes={"t": probe_result(*records)})
    assert verdict(rec) == expected, rec["reasons"]
    assert said(rec, reason), rec["reasons"]


@pytest.mark.parametrize("registered", [
    {"failed": True, "msg": "boom", "records": [probe_record("v1")]},
    {"unreachable": True, "msg": "ssh", "records": [probe_record("v1")]},
    {"skipped": True, "records": [probe_record("v1")]},
    None,
], ids=["failed", "unreachable", "skipped", "not-probed"])
def test_probe_that_did_not_run_is_unknown(registered):
    probes = {"t": registered} if registered is not None else {}
    rec = judge(probe_fleet(), probes=probes)
    assert verdict(rec) == ("unknown", "unknown") and not rec["selected"]


def test_probe_registered_in_a_loop_is_accepted():
    data = probe_fleet(dev_mig=migration("v1-dev"))
    loop = probe_loop(accepted("v1"), accepted("v1-dev"))
    assert verdict(judge(data, probes={"t": loop})) == ("compatible", "probe")
    loop = probe_loop(accepted("v1"), {"failed": True, "msg": "item"})
    rec = judge(data, probes={"t": loop})
    assert verdict(rec) == ("unknown", "unknown") and said(rec, "loop item 1")
    loop = probe_loop(accepted("v1"), probe_result(probe_record("v1-dev", "incompatible")))
    assert verdict(judge(data, probes={"t": loop})) == ("incompatible", "probe")


def test_probes_by_registered_variable_name():
    data = probe_fleet()
    data["t"]["probe"] = accepted("v1")
    assert verdict(judge(data, probes="probe")) == ("compatible", "probe")
    del data["t"]["probe"]
    assert verdict(judge(data, probes="probe")) == ("unknown", "unknown")


def test_offline_incompatible_stays_incompatible():
    data = probe_fleet(dst_mig=unsupported())
    rec = judge(data, probes={"t": accepted("v1")})
    assert verdict(rec) == ("incompatible", "version")
    data = hostvars(src=source_host(mig=migration("v1")), t=target_host(mig=migration("v1"), driver="nouveau"))
    assert verdict(judge(data, policy="identity", probes={"t": accepted("v1")})) == ("incompatible", "policy")


def test_no_probe_override_without_a_source_version():
    data = hostvars(src=source_host(mig=migration()), t=target_host(mig=migration()))
    assert verdict(judge(data, probes={})) == ("compatible", "policy")


def test_probe_decides_per_parent():
    tgt = facts(parents={PARENT: parent({TYPE: mtype(2, "v2")}),
                         "0000:5e:00.0": parent({TYPE: mtype(5, "v2")})})
    data = hostvars(src=source_host(mig=migration("v1")), t=tgt)
    rec = judge(data, probes={"t": accepted("v1")})
    assert verdict(rec) == ("compatible", "probe") and rec["parents"] == [PARENT] and rec["capacity"] == 2


# ---- where and match_vars ------------------------------------------------------------------------

def test_where_false_is_incompatible_for_that_parent_only():
    tgt = facts(parents={PARENT: parent({TYPE: mtype(2, "v-550")}, numa_node=0),
                         "0000:5e:00.0": parent({TYPE: mtype(5, "v-550")}, numa_node=1)})
    data = hostvars(src=source_host(), t=tgt)
    rec = judge(data)
    assert rec["capacity"] == 7
    rec = judge(data, where="parent_facts.numa_node == `0`")
    assert verdict(rec) == ("compatible", "version") and rec["parents"] == [PARENT] and rec["capacity"] == 2
    rec = judge(data, where="parent_facts.numa_node == `7`")
    assert verdict(rec) == ("incompatible", "policy") and said(rec, "where")


def test_where_does_not_widen_an_unknown():
    data = hostvars(src=source_host(), t=target_host(version="v-other"))
    assert judge(data, where="`true`")["verdict"] == "unknown"


@pytest.mark.parametrize("src_value, dst_value, expected", [
    ("on", "on", ("compatible", "version")),
    ("on", "off", ("incompatible", "policy")),
    ("on", None, ("unknown", "unknown")),
    (None, "on", ("unknown", "unknown")),
])
def test_match_vars(src_value, dst_value, expected):
    data = hostvars(src=source_host(), t=target_host())
    if src_value is not None:
        data["src"]["ecc"] = src_value
    if dst_value is not None:
        data["t"]["ecc"] = dst_value
    rec = judge(data, match_vars=["ecc"])
    assert verdict(rec) == expected


def test_match_vars_never_widens():
    data = hostvars(src=source_host(), t=target_host(version="v-other"))
    data["src"]["ecc"] = data["t"]["ecc"] = "on"
    assert judge(data, match_vars=["ecc"])["verdict"] == "unknown"


# ---- host record, ranking, selection -------------------------------------------------------------

def test_host_capacity_counts_only_parents_with_the_best_verdict_and_evidence():
    tgt = facts(parents={PARENT: parent({TYPE: mtype(2, "v-550")}),
                         "0000:5e:00.0": parent({TYPE: mtype(9, "v-other")}),
                         "0000:86:00.0": parent({TYPE: mtype(7, mig=unsupported())}),
                         "0000:af:00.0": parent({TYPE: mtype(3, "v-550")})})
    rec = judge(hostvars(src=source_host(), t=tgt))
    assert verdict(rec) == ("compatible", "version")
    assert rec["parents"] == [PARENT, "0000:af:00.0"] and rec["capacity"] == 5
    del tgt["parents"][PARENT], tgt["parents"]["0000:af:00.0"]
    rec = judge(hostvars(src=source_host(), t=tgt))
    assert verdict(rec) == ("unknown", "unknown") and rec["parents"] == ["0000:5e:00.0"] and rec["capacity"] == 9
    assert rec["selected"] is False


def test_ranking_probe_then_capacity_then_name_and_selection():
    data = hostvars(src=source_host(mig=migration("v1")), b=target_host(available=1, mig=migration("v1")),
                    a=target_host(available=1, mig=migration("v1")), c=target_host(available=5, mig=migration("v9")),
                    z=target_host(available=0, mig=migration("v1")))
    probes = {h: accepted("v1") for h in ("a", "b", "c", "z")}
    assert targets(data, "src", SRC_UUID, probes=probes) == ["c", "a", "b"]
    assert targets(data, "src", SRC_UUID, probes=probes, min_available=0) == ["c", "a", "b", "z"]
    assert targets(data, "src", SRC_UUID, probes=probes, min_available=2) == ["c"]
    recs = targets(data, "src", SRC_UUID, probes=probes, details=True)
    assert [(r["host"], r["rank"]) for r in recs] == [("c", 1), ("a", 2), ("b", 3), ("z", None)]


# ---- domains -------------------------------------------------------------------------------------

def test_domain_members_are_compatible_pairwise_not_only_with_the_first():
    # a accepts v2 and v3, b and c accept v1 only: a~b and a~c, but b and c do not know each other's version.
    # (Found grouped as one domain by an earlier version that compared members with the first one only.)
    data = hostvars(a=target_host(version="v1"), b=target_host(version="v2"), c=target_host(version="v3"))
    probes = {"a": accepted("v1", "v2", "v3"), "b": accepted("v2", "v1"), "c": accepted("v3", "v1")}
    result = domains(data, probes=probes)
    for domain in result["domains"]:
        assert not {"b", "c"} <= set(domain["hosts"]), result["domains"]
    assert all(len(d["versions"]) == 1 for d in result["domains"])      # version groups are never merged
    same = hostvars(a=target_host(version="v1"), b=target_host(version="v1"), c=target_host(version="v1"))
    probes = {"a": accepted("v1"), "b": accepted("v1"), "c": probe_result(probe_record("v1", written=1))}
    result = domains(same, probes=probes)
    assert [(d["hosts"], d["evidence"]) for d in result["domains"]] == [(["a", "b"], "probe")]
    assert [u["host"] for u in result["undecided"]] == ["c"]


def test_stranded_devices_follow_migration_targets():
    data = hostvars(src=source_host(), full=target_host(available=0), other=target_host(version="v-other"))
    stranded = domains(data)["stranded"]
    assert [(s["host"], s["device"]) for s in stranded] == [("src", SRC_UUID)]
    assert targets(data, "src", SRC_UUID) == []
    data = hostvars(src=source_host(), ok=target_host(available=1))
    assert domains(data)["stranded"] == [] and targets(data, "src", SRC_UUID) == ["ok"]


def test_devices_of_unsupported_types_are_stranded():
    data = hostvars(src=source_host(mig=unsupported()), t=target_host(mig=unsupported()))
    result = domains(data)
    assert [(s["host"], s["device"]) for s in result["stranded"]] == [("src", SRC_UUID)]
    assert sorted(m["host"] for m in result["unsupported"]) == ["src", "t"] and result["domains"] == []


# ---- several source devices ----------------------------------------------------------------------

UUID2 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e02"


def two_device_source(second_mig=None):
    src = source_host(mig=migration("v1"))
    src["parents"][PARENT]["types"][TYPE]["devices"].append(UUID2)
    src["devices"][UUID2] = {"parent": PARENT, "type_id": TYPE, "migration": second_mig or migration()}
    return src


def test_several_devices_need_room_for_all_and_the_worst_verdict_wins():
    data = hostvars(src=two_device_source(), t=target_host(available=3, mig=migration("v1")))
    rec = judge(data, device=[SRC_UUID, UUID2])
    assert verdict(rec) == ("compatible", "version") and rec["capacity"] == 1     # 3 free, 2 needed each time
    assert rec["selected"] and not judge(data, device=[SRC_UUID, UUID2], min_available=2)["selected"]
    data = hostvars(src=two_device_source(migration("v2")), t=target_host(available=3, mig=migration("v1")))
    rec = judge(data, device=[SRC_UUID, UUID2])
    assert verdict(rec) == ("unknown", "unknown") and not rec["selected"]
    assert rec["devices"][SRC_UUID]["verdict"] == "compatible" and rec["devices"][UUID2]["verdict"] == "unknown"
    probes = {"t": accepted("v1", "v2")}
    assert verdict(judge(data, device=[SRC_UUID, UUID2], probes=probes)) == ("compatible", "probe")
    probes = {"t": accepted("v1")}
    assert verdict(judge(data, device=[SRC_UUID, UUID2], probes=probes)) == ("unknown", "unknown")
