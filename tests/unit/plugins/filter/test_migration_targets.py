# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    SRC_UUID,
    accepted,
    facts,
    hostvars,
    migration,
    mtype,
    parent,
    probe_record,
    probe_result,
    source_host,
    target_host,
    vf,
)

targets = FilterModule().filters()["migration_targets"]


def details(data, **kw):
    kw.setdefault("source_host", "src")
    kw.setdefault("device", SRC_UUID)
    return {r["host"]: r for r in targets(data, details=True, **kw)}


def test_same_version_is_compatible_by_version_evidence():
    data = hostvars(src=source_host(), t1=target_host())
    rec = details(data)["t1"]
    assert (rec["verdict"], rec["evidence"], rec["selected"], rec["rank"]) == ("compatible", "version", True, 1)
    assert rec["parents"] == ["0000:3b:00.0"] and rec["capacity"] == 4
    assert targets(data, "src", SRC_UUID) == ["t1"]


def test_zero_available_is_compatible_but_not_selected():
    data = hostvars(src=source_host(), full=target_host(available=0))
    rec = details(data)["full"]
    assert rec["verdict"] == "compatible" and rec["selected"] is False and rec["capacity"] == 0
    assert any("min_available" in r for r in rec["reasons"])
    assert targets(data, "src", SRC_UUID) == []
    assert targets(data, "src", SRC_UUID, min_available=0) == ["full"]


def test_min_available_two():
    data = hostvars(src=source_host(), one=target_host(available=1), two=target_host(available=2))
    assert targets(data, "src", SRC_UUID, min_available=2) == ["two"]


def test_version_policy_missing_version_on_one_side_is_unknown():
    data = hostvars(src=source_host(), t=target_host(version=None), s2=source_host(version=None))
    rec = details(data, policy="version")["t"]
    assert (rec["verdict"], rec["evidence"]) == ("unknown", "unknown")
    assert any("only the source publishes a migration version" in r for r in rec["reasons"])
    rec = details(hostvars(src=source_host(version=None), t=target_host()), policy="version")["t"]
    assert rec["verdict"] == "unknown" and any("only the target publishes" in r for r in rec["reasons"])


def test_version_policy_different_versions_is_unknown_not_incompatible():
    rec = details(hostvars(src=source_host(), t=target_host(version="v-other")))["t"]
    assert (rec["verdict"], rec["evidence"], rec["selected"]) == ("unknown", "unknown", False)


def test_identity_different_driver_version_is_incompatible():
    data = hostvars(src=source_host(version=None), t=target_host(version=None, driver_version="550.90.07"))
    rec = details(data, policy="identity")["t"]
    assert (rec["verdict"], rec["evidence"]) == ("incompatible", "policy")
    assert any("driver version differs: source 550.54.10, target 550.90.07" in r for r in rec["reasons"])


@pytest.mark.parametrize("change, reason", [
    ({"pci": dict(vendor_id="10de", device_id="1eb9", subsystem_vendor_id="10de", subsystem_device_id="12a2")},
     "parent PCI device_id differs"),
    ({"pci": dict(vendor_id="10de", device_id="1eb8", subsystem_vendor_id="10de", subsystem_device_id="12a3")},
     "parent PCI subsystem_device_id differs"),
    ({"driver": "nouveau"}, "driver differs"),
])
def test_identity_rules(change, reason):
    data = hostvars(src=source_host(version=None), t=target_host(version=None, **change))
    rec = details(data, policy="identity")["t"]
    assert rec["verdict"] == "incompatible" and any(reason in r for r in rec["reasons"])


def test_identity_device_api_mismatch():
    tgt = facts(parents={"0000:3b:00.0": parent({"nvidia-222": mtype(4, device_api="vfio-ccw")})})
    rec = details(hostvars(src=source_host(version=None), t=tgt), policy="identity")["t"]
    assert rec["verdict"] == "incompatible" and any("device_api differs" in r for r in rec["reasons"])


def test_identity_all_match_is_compatible_by_policy():
    rec = details(hostvars(src=source_host(version=None), t=target_host(version=None)))["t"]
    assert (rec["verdict"], rec["evidence"]) == ("compatible", "policy")


def test_identity_missing_fact_is_unknown():
    target = target_host(version=None, driver=None, driver_version=None)
    rec = details(hostvars(src=source_host(version=None), t=target))["t"]
    assert rec["verdict"] == "unknown"


def test_in_tree_driver_without_version_compares_kernel_release():
    src = source_host(version=None, driver="i915", driver_version=None, driver_in_tree=True)
    same = target_host(version=None, driver="i915", driver_version=None, driver_in_tree=True)
    other = target_host(version=None, driver="i915", driver_version=None, driver_in_tree=True)
    other["kernel_release"] = "6.1.0-26-amd64"
    out_of_tree = target_host(version=None, driver="i915", driver_version=None, driver_in_tree=None)
    recs = details(hostvars(src=src, same=same, other=other, oot=out_of_tree))
    assert recs["same"]["verdict"] == "compatible"
    assert any("kernel release (in-tree driver)" in r for r in recs["same"]["reasons"])
    assert recs["other"]["verdict"] == "incompatible" and any("kernel release" in r for r in recs["other"]["reasons"])
    assert recs["oot"]["verdict"] == "unknown"


def test_migration_unsupported_target_is_incompatible():
    mig = migration(None, supported=False, errno="ENODEV")
    rec = details(hostvars(src=source_host(), t=target_host(mig=mig)))["t"]
    assert rec["verdict"] == "incompatible" and any("ENODEV" in r for r in rec["reasons"])


def test_type_not_offered_is_incompatible():
    rec = details(hostvars(src=source_host(), t=target_host(type_id="nvidia-223")))["t"]
    assert rec["verdict"] == "incompatible" and "no parent offers mdev type nvidia-222" in rec["reasons"][0]


def test_host_without_facts_is_unknown_never_dropped():
    recs = details(hostvars(src=source_host(), gone=None, t=target_host()))
    assert (recs["gone"]["verdict"], recs["gone"]["selected"]) == ("unknown", False)
    assert "unreachable" in recs["gone"]["reasons"][0]
    assert list(recs) == ["t", "gone"]


def test_probe_incompatible_overrides_offline_compatible():
    data = hostvars(src=source_host(), t=target_host())
    probes = {"t": probe_result(probe_record("v-550", "incompatible", errno="EINVAL"))}
    rec = details(data, probes=probes)["t"]
    assert (rec["verdict"], rec["evidence"], rec["selected"]) == ("incompatible", "probe", False)


def test_probe_compatible_upgrades_unknown_and_ranks_first():
    data = hostvars(src=source_host(), newer=target_host(available=1, version="v-551"), same=target_host(available=8))
    probes = {"newer": accepted("v-550"), "same": accepted("v-550")}
    assert targets(data, "src", SRC_UUID) == ["same"]
    assert targets(data, "src", SRC_UUID, probes=probes) == ["same", "newer"]
    assert details(data, probes=probes)["newer"]["evidence"] == "probe"


def test_probe_for_another_version_is_not_evidence_for_this_one():
    # Once probes are asked for, a probe of another version does not vouch for the source's.
    data = hostvars(src=source_host(), t=target_host())
    probes = {"t": probe_result(probe_record("other", "incompatible"))}
    rec = details(data, probes=probes)["t"]
    assert (rec["verdict"], rec["evidence"], rec["selected"]) == ("unknown", "unknown", False)
    assert any("no probe record for version v-550" in r for r in rec["reasons"])


def test_probes_by_registered_variable_name():
    data = hostvars(src=source_host(), t=target_host())
    data["t"]["gate_probe"] = probe_result(probe_record("v-550", "incompatible", errno="EINVAL"))
    assert details(data, probes="gate_probe")["t"]["verdict"] == "incompatible"


def test_ranking_capacity_then_name():
    # One source cannot meet both version and policy evidence (a one-sided version is unknown);
    # the evidence order is tested on _ranking.select in plugin_utils/test_units.py.
    data = hostvars(src=source_host(),
                    b_unknown=target_host(available=9, version=None),
                    a_version=target_host(available=2), c_version=target_host(available=5),
                    d_version=target_host(available=5))
    assert targets(data, "src", SRC_UUID) == ["c_version", "d_version", "a_version"]


def test_source_host_is_never_a_candidate():
    data = hostvars(src=source_host(), t=target_host())
    assert "src" not in details(data, candidates=["src", "t"])


def test_candidates_limit_the_hosts():
    data = hostvars(src=source_host(), t1=target_host(), t2=target_host())
    assert targets(data, "src", SRC_UUID, candidates=["t2"]) == ["t2"]


def test_match_vars():
    data = hostvars(src=source_host(), same=target_host(), diff=target_host(), missing=target_host())
    data["src"]["ecc_mode"] = "enabled"
    data["same"]["ecc_mode"] = "enabled"
    data["diff"]["ecc_mode"] = "disabled"
    recs = details(data, match_vars=["ecc_mode"])
    assert recs["same"]["selected"] is True
    assert recs["diff"]["verdict"] == "incompatible" and any("ecc_mode differs" in r for r in recs["diff"]["reasons"])
    assert recs["missing"]["verdict"] == "unknown"


def test_match_vars_dotted_path():
    data = hostvars(src=source_host(), t=target_host())
    data["src"]["ansible_facts"]["distribution_version"] = "9.4"
    data["t"]["ansible_facts"]["distribution_version"] = "10.0"
    assert details(data, match_vars=["ansible_facts.distribution_version"])["t"]["verdict"] == "incompatible"


def test_where_jmespath():
    data = hostvars(src=source_host(), n0=target_host(numa_node=0), n1=target_host(numa_node=1))
    assert targets(data, "src", SRC_UUID, where="parent_facts.numa_node == `0`") == ["n0"]
    rec = details(data, where="parent_facts.numa_node == `0`")["n1"]
    assert rec["verdict"] == "incompatible" and "where" in rec["reasons"][0]
    assert targets(data, "src", SRC_UUID, where="contains(type.device_api, 'pci')") == ["n0", "n1"]


def test_several_devices_must_all_fit():
    uuid2 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e02"
    src = source_host()
    src["parents"]["0000:3b:00.0"]["types"]["nvidia-223"] = mtype(1, "v-223", devices=[uuid2])
    src["devices"][uuid2] = {"parent": "0000:3b:00.0", "type_id": "nvidia-223", "migration": migration()}
    # Both types on one parent: creating one may take the other's room, so the host is not counted on.
    both = facts(parents={"0000:3b:00.0": parent({"nvidia-222": mtype(2, "v-550"), "nvidia-223": mtype(1, "v-223")})})
    split = facts(parents={"0000:3b:00.0": parent({"nvidia-222": mtype(2, "v-550")}),
                           "0000:5e:00.0": parent({"nvidia-223": mtype(1, "v-223")})})
    one = target_host(available=4)
    data = hostvars(src=src, both=both, split=split, one=one)
    assert targets(data, "src", [SRC_UUID, uuid2]) == ["split"]
    records = details(data, device=[SRC_UUID, uuid2])
    assert (records["both"]["verdict"], records["both"]["capacity"], records["both"]["selected"]) == (
        "compatible", 0, False)
    assert records["split"]["capacity"] == 1
    rec = records["one"]
    assert rec["verdict"] == "incompatible" and sorted(rec["devices"]) == sorted([SRC_UUID, uuid2])


def test_source_by_type_and_identity():
    data = hostvars(t=target_host(version=None), other=target_host(version=None, driver_version="1.0"))
    found = targets(data, type_id="nvidia-222", policy="identity",
                    identity={"device_api": "vfio-pci", "driver": "nvidia", "driver_version": "550.54.10",
                              "pci": {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de",
                                      "subsystem_device_id": "12a2"}})
    assert found == ["t"]
    assert targets(data, type_id="nvidia-222", version="v-550") == []
    assert targets(hostvars(t=target_host()), type_id="nvidia-222", version="v-550") == ["t"]


def test_vendor_vfio_source_and_mixed_fleet():
    src = facts(vendor_vfio={"0000:41:00.4": vf(current=1428), "0000:41:00.5": vf(creatable={"1428": "H100-40C"})})
    free2 = facts(vendor_vfio={"0000:41:00.4": vf(creatable={"1428": "H100-40C"}),
                               "0000:41:00.5": vf(creatable={"1428": "H100-40C", "1429": "H100-80C"})})
    full = facts(vendor_vfio={"0000:41:00.4": vf(current=1428)})
    other_type = facts(vendor_vfio={"0000:41:00.4": vf(current=1429)})
    newer = facts(vendor_vfio={"0000:41:00.4": vf(creatable={"1428": "H100-40C"}, driver_version="580.95")})
    board = facts(vendor_vfio={"0000:41:00.4": vf(creatable={"1428": "H100-40C"}, device_id="2330")})
    data = hostvars(src=src, free2=free2, full=full, newer=newer, board=board, mdev=target_host(),
                    other_type=other_type)
    recs = details(data, device="0000:41:00.4")
    assert recs["free2"]["selected"] and recs["free2"]["capacity"] == 2
    assert recs["free2"]["free_vfs"] == ["0000:41:00.4", "0000:41:00.5"]
    assert recs["full"]["verdict"] == "compatible" and recs["full"]["capacity"] == 0 and not recs["full"]["selected"]
    assert recs["newer"]["verdict"] == "incompatible"
    assert recs["board"]["verdict"] == "incompatible"
    assert recs["mdev"]["verdict"] == "incompatible"
    assert recs["other_type"]["verdict"] == "incompatible" and recs["other_type"]["capacity"] == 0
    assert targets(data, "src", "0000:41:00.4") == ["free2"]


def test_mdev_source_against_vendor_vfio_host():
    data = hostvars(src=source_host(), h=facts(vendor_vfio={"0000:41:00.4": vf(creatable={"1": "x"})}))
    assert details(data)["h"]["verdict"] == "incompatible"


def test_facts_not_gathered_for_types_is_unknown():
    tgt = target_host()
    tgt["gather_subset"] = ["devices"]
    assert details(hostvars(src=source_host(), t=tgt))["t"]["verdict"] == "unknown"


def test_bare_facts_mapping_and_injected_facts_are_accepted():
    data = {"src": source_host(), "t": target_host(), "inj": {"ansible_mdev": target_host()},
            "cached": {"mdev": target_host()}}
    assert targets(data, "src", SRC_UUID) == ["cached", "inj", "t"]


@pytest.mark.parametrize("kwargs, named", [
    ({"source_host": "src", "device": SRC_UUID, "policy": "best"}, "policy"),
    ({"source_host": "src", "device": SRC_UUID, "min_available": "many"}, "min_available"),
    ({"source_host": "src", "device": SRC_UUID, "min_available": -1}, "min_available"),
    ({"source_host": "src", "device": SRC_UUID, "bogus": 1}, "bogus"),
    ({"source_host": "src"}, "device"),
    ({"source_host": "nope", "device": SRC_UUID}, "nope"),
    ({"source_host": "src", "device": "11111111-0000-0000-0000-000000000000"}, "device"),
    ({"source_host": "src", "device": SRC_UUID, "where": "[[["}, "where"),
    ({"source_host": "src", "device": SRC_UUID, "candidates": {"t": 1}}, "candidates"),
    ({"source_host": "src", "device": SRC_UUID, "probes": 5}, "probes"),
    ({"source_host": "src", "device": SRC_UUID, "type_id": "x"}, "not both"),
    ({"device": SRC_UUID}, "source"),
    ({"type_id": "x", "identity": {"color": "red"}}, "identity"),
    ({"source_host": "src", "device": [SRC_UUID, 5]}, "device"),
])
def test_malformed_arguments_name_the_argument(kwargs, named):
    data = hostvars(src=source_host(), t=target_host())
    with pytest.raises(AnsibleFilterError) as exc:
        targets(data, **kwargs)
    assert named in str(exc.value)


def test_input_must_be_a_mapping():
    with pytest.raises(AnsibleFilterError, match="input"):
        targets(["a"], "src", SRC_UUID)
