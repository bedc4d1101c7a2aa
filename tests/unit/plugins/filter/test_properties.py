# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based tests (Hypothesis) of version parsing and target selection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.vfio.mdev_migration.plugins.filter.mdev_version_parse import FilterModule as ParseFilters
from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule as TargetFilters
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    SRC_UUID,
    facts,
    migration,
    mtype,
    parent,
    probe_record,
    probe_result,
)

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings = hypothesis.given, hypothesis.settings

parse = ParseFilters().filters()["mdev_version_parse"]
targets = TargetFilters().filters()["migration_targets"]

TYPES = ["nvidia-222", "nvidia-223", "i915-GVTg_V5_4"]
VERSIONS = [None, "v1", "v2"]
DRIVER_VERSIONS = [None, "550.54.10", "550.90.07"]
BOARDS = [("10de", "1eb8"), ("10de", "1db4")]


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_version_parse_never_raises_on_a_string(text):
    result = parse(text)
    assert result["raw"] == text and result["format"] in ("rfc_v1", "gvt_v5", "opaque")


@st.composite
def host_facts(draw):
    if draw(st.integers(0, 9)) == 0:
        return None                                  # unreachable / no facts
    parents = {}
    for index in range(draw(st.integers(0, 2))):
        vendor, device = draw(st.sampled_from(BOARDS))
        types = {}
        for type_id in draw(st.lists(st.sampled_from(TYPES), unique=True, max_size=3)):
            supported = draw(st.sampled_from([True, True, True, False]))
            if supported:
                mig = migration(draw(st.sampled_from(VERSIONS)))
            else:
                mig = migration(None, supported=False, errno="ENODEV")
            types[type_id] = mtype(draw(st.integers(0, 4)), mig=mig)
        parents["0000:%02x:00.0" % index] = parent(
            types, pci={"vendor_id": vendor, "device_id": device, "subsystem_vendor_id": vendor,
                        "subsystem_device_id": "12a2", "revision": "a1"},
            driver_version=draw(st.sampled_from(DRIVER_VERSIONS)), numa_node=index)
    return facts(parents=parents, kernel=draw(st.sampled_from(["6.8.0", "6.1.0"])))


@st.composite
def fleets(draw):
    source = facts(parents={"0000:3b:00.0": parent({"nvidia-222": mtype(
        1, mig=draw(st.sampled_from([migration("v1"), migration(None)])), devices=[SRC_UUID])},
        driver_version=draw(st.sampled_from(DRIVER_VERSIONS)))},
        devices={SRC_UUID: {"parent": "0000:3b:00.0", "type_id": "nvidia-222", "migration": migration()}})
    hosts = {"src": {"ansible_facts": {"mdev": source}}}
    for index in range(draw(st.integers(0, 8))):
        found = draw(host_facts())
        hosts["h%d" % index] = {"ansible_facts": {"mdev": found}} if found is not None else {}
    return hosts


@st.composite
def probes_for(draw, fleet):
    probes = {}
    for host in fleet:
        if host != "src" and draw(st.booleans()):
            verdict = draw(st.sampled_from(["compatible", "incompatible", "error", "unsupported"]))
            probes[host] = probe_result(probe_record(
                "v1", verdict, parent_name=draw(st.sampled_from(["0000:00:00.0", "0000:01:00.0", "0000:3b:00.0"])),
                written=draw(st.sampled_from([None, 1]))))
    return probes


@given(fleets(), st.sampled_from(["auto", "version", "identity"]), st.integers(0, 3), st.data())
@settings(max_examples=250, deadline=None, derandomize=True)
def test_selection_only_compatible_with_capacity_and_deterministic(fleet, policy, min_available, data):
    probes = data.draw(probes_for(fleet))
    kwargs = dict(policy=policy, min_available=min_available, probes=probes)
    records = targets(fleet, "src", SRC_UUID, details=True, **kwargs)
    chosen = [r for r in records if r["selected"]]
    for rec in chosen:
        assert rec["verdict"] == "compatible"
        assert rec["evidence"] in ("probe", "version", "policy")
        assert rec["capacity"] >= min_available
    for rec in records:
        if not rec["selected"] and rec["verdict"] == "compatible":
            assert rec["capacity"] < min_available
        no_facts = not fleet[rec["host"]]
        if no_facts:
            assert rec["verdict"] == "unknown" and not rec["selected"]
    assert sorted(r["host"] for r in records) == sorted(h for h in fleet if h != "src")
    # deterministic: same input, same order, also from a copy
    assert targets(copy.deepcopy(fleet), "src", SRC_UUID, **kwargs) == [r["host"] for r in chosen]


@st.composite
def malformed(draw):
    junk = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2),
                     st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
    broken = facts(parents={"0000:3b:00.0": parent({"nvidia-222": mtype(2, "v1")})})
    target = draw(st.sampled_from(["parent", "type", "migration", "pci", "available", "top"]))
    value = draw(junk)
    if target == "parent":
        broken["parents"]["0000:3b:00.0"] = value
    elif target == "type":
        broken["parents"]["0000:3b:00.0"]["types"]["nvidia-222"] = value
    elif target == "migration":
        broken["parents"]["0000:3b:00.0"]["types"]["nvidia-222"]["migration"] = value
    elif target == "pci":
        broken["parents"]["0000:3b:00.0"]["pci"] = value
    elif target == "available":
        broken["parents"]["0000:3b:00.0"]["types"]["nvidia-222"]["available_instances"] = value
    else:
        broken[draw(st.sampled_from(["parents", "devices", "vendor_vfio", "gather_subset"]))] = value
    return broken


@given(malformed())
@settings(max_examples=300, deadline=None, derandomize=True)
def test_malformed_target_facts_give_a_verdict_never_an_error(broken):
    source = facts(parents={"0000:3b:00.0": parent({"nvidia-222": mtype(1, "v1", devices=[SRC_UUID])})},
                   devices={SRC_UUID: {"parent": "0000:3b:00.0", "type_id": "nvidia-222", "migration": migration()}})
    fleet = {"src": {"ansible_facts": {"mdev": source}}, "t": {"ansible_facts": {"mdev": broken}}}
    # A malformed candidate is judged (unknown, or a verdict its readable part supports), never an
    # error for the whole selection: one bad host must not hide the good ones.
    records = targets(fleet, "src", SRC_UUID, details=True)
    (rec,) = records
    assert rec["verdict"] in ("unknown", "incompatible", "compatible")
    if rec["selected"]:
        # only when the broken part did not touch what the decision rests on
        t222 = broken["parents"]["0000:3b:00.0"]["types"]["nvidia-222"]
        assert t222["available_instances"] >= 1 and rec["evidence"] in ("version", "policy")
        assert (t222.get("migration") or {}).get("version") in (None, "v1")
    if rec["verdict"] == "unknown" and rec["reasons"][0].startswith("malformed"):
        assert "malformed mdev facts: " in rec["reasons"][0]
    if rec["verdict"] == "unknown":
        assert rec["evidence"] == "unknown"
    # and the same broken host beside a sound one does not hide the sound one
    fleet["ok"] = {"ansible_facts": {"mdev": facts(parents={"0000:3b:00.0": parent({"nvidia-222": mtype(2, "v1")})})}}
    assert "ok" in targets(fleet, "src", SRC_UUID)
