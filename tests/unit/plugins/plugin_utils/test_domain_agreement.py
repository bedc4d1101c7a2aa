# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_domains, migration_targets and mdev_compatible must tell one story (Hypothesis).

Generated fleets mix mdev parents (published, one-sided, unreadable, unsupported and not gathered
versions), vendor-VFIO GPUs, hosts without facts, and probe results. Example counts: 1,000 fleets
for stranded/domain/test-plugin agreement, 400 for insertion order.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.filter.migration_domains import FilterModule as DomainFilters
from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule as TargetFilters
from ansible_collections.vfio.mdev_migration.plugins.test.mdev_compatible import TestModule as CompatibleTests
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    NOT_GATHERED,
    facts,
    migration,
    mtype,
    probe_record,
    probe_result,
    unreadable,
    unsupported,
    vf,
)

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings = hypothesis.given, hypothesis.settings

from ansible_collections.vfio.mdev_migration.tests.unit.plugins.plugin_utils.fleet_strategies import (  # noqa: E402
    identities,
    make_parent,
)

domains = DomainFilters().filters()["migration_domains"]
targets = TargetFilters().filters()["migration_targets"]
compatible = CompatibleTests().tests()["mdev_compatible"]

TYPES = ["nvidia-222", "nvidia-223"]
PARENTS = ["0000:3b:00.0", "0000:5e:00.0"]
VERSIONS = ["v1", "v2"]


class Context(dict):
    pass


@st.composite
def type_migration(draw):
    kind = draw(st.sampled_from(["v"] * 5 + ["absent"] * 3 + ["unsupported", "unreadable", "missing"]))
    if kind == "v":
        return migration(draw(st.sampled_from(VERSIONS)))
    return {"absent": migration(), "unsupported": unsupported(), "unreadable": unreadable(),
            "missing": NOT_GATHERED}[kind]


@st.composite
def hosts(draw, name):
    if draw(st.integers(0, 9)) == 0:
        return None
    parents, devices = {}, {}
    for pname in draw(st.lists(st.sampled_from(PARENTS), unique=True, max_size=2)):
        types = {}
        for type_id in draw(st.lists(st.sampled_from(TYPES), unique=True, min_size=1, max_size=2)):
            uuids = ["%s-%s-%s-%d" % (name, pname[5:7], type_id[-3:], i) for i in range(draw(st.integers(0, 2)))]
            types[type_id] = mtype(draw(st.sampled_from([0, 1, 3])), devices=uuids, mig=draw(type_migration()))
            for uuid in uuids:
                dev_mig = draw(st.sampled_from(["absent"] * 6 + ["v1", "missing"]))
                devices[uuid] = {"parent": pname, "type_id": type_id}
                if dev_mig != "missing":
                    devices[uuid]["migration"] = migration() if dev_mig == "absent" else migration(dev_mig)
        parents[pname] = make_parent(types, draw(identities()))
    vendor = {}
    if draw(st.integers(0, 3)) == 0:
        driver_version = draw(st.sampled_from(["580.65.06", "580.65.06", "580.95"]))    # one driver per GPU
        for index in range(draw(st.integers(1, 2))):
            vendor["0000:41:00.%d" % (index + 4)] = vf(
                current=draw(st.sampled_from([0, 0, 1428, None])),
                creatable=draw(st.sampled_from([{}, {"1428": "H100-40C"}])), driver_version=driver_version)
    result = facts(parents=parents, devices=devices, vendor_vfio=vendor,
                   kernel=draw(st.sampled_from(["6.8.0", "6.8.0", "6.1.0"])))
    if draw(st.integers(0, 9)) == 0:
        result["gather_subset"] = ["devices", "pci", "vendor_vfio"]
    return result


@st.composite
def fleets(draw):
    names = ["a", "b", "c", "d"][:draw(st.integers(2, 4))]
    data = {}
    for name in names:
        found = draw(hosts(name))
        data[name] = {"ansible_facts": {"mdev": found}} if found is not None else {"inventory_hostname": name}
    probes = None
    if draw(st.booleans()):
        probes = {}
        for name in names:
            if draw(st.integers(0, 4)) == 0:
                continue
            records = []
            for pname in PARENTS:
                for type_id in TYPES:
                    for version in VERSIONS:
                        verdict = draw(st.sampled_from(["compatible"] * 4 + ["incompatible", "error", "skip"]))
                        if verdict != "skip":
                            records.append(probe_record(version, verdict, parent_name=pname, type_id=type_id))
            probes[name] = probe_result(*records)
    return data, probes


def usable_hosts(data):
    return sorted(h for h, e in data.items() if (e.get("ansible_facts") or {}).get("mdev") is not None)


def fleet_devices(data):
    """(host, device): every mdev, and every VF not known to be idle."""
    found = []
    for host in usable_hosts(data):
        f = data[host]["ansible_facts"]["mdev"]
        found += [(host, d) for d in sorted(f["devices"])]
        found += [(host, a) for a, v in sorted(f["vendor_vfio"].items()) if v["current_type"] != 0]
    return found


def selected(data, host, device, **kw):
    """migration_targets' selection for a device, or [] when the source cannot be described."""
    try:
        return targets(data, host, device, candidates=usable_hosts(data), **kw)
    except AnsibleFilterError:
        return []


def device_level_absent(f, uuid):
    return (f["devices"][uuid].get("migration") or {}).get("supported", False) is None \
        and f["devices"][uuid]["migration"].get("errno") is None


@given(fleets(), st.sampled_from(["auto", "version", "identity"]))
@settings(max_examples=1000, deadline=None, derandomize=True)
def test_stranded_domains_and_test_plugin_agree_with_migration_targets(fleet, policy):
    data, probes = fleet
    result = domains(data, policy=policy, probes=probes)
    # (a) stranded exactly when migration_targets (min_available=1) selects no other host
    stranded = sorted((s["host"], s["device"]) for s in result["stranded"])
    expected = sorted((h, d) for h, d in fleet_devices(data)
                      if not selected(data, h, d, policy=policy, probes=probes, min_available=1))
    assert stranded == expected
    assert result["hosts_without_facts"] == sorted(set(data) - set(usable_hosts(data)))
    # (b) two members of one domain are compatible with each other both ways
    for domain in result["domains"]:
        members = domain["members"]
        for one in members:
            for two in members:
                if one["host"] == two["host"]:
                    continue
                f = data[one["host"]]["ansible_facts"]["mdev"]
                for device in one["devices"]:
                    if domain["kind"] == "mdev" and not device_level_absent(f, device):
                        continue     # a device-level version is the device's own, not the member's
                    (rec,) = targets(data, one["host"], device, candidates=[two["host"]], policy=policy,
                                     probes=probes, min_available=0, details=True)
                    assert rec["verdict"] == "compatible", (domain["id"], one, two, rec)
                    assert two["parent"] in rec["parents"], (domain["id"], one, two, rec)
    # (c) mdev_compatible is migration_targets' selection, pair by pair
    ctx = Context(hostvars=data)
    for host, device in fleet_devices(data)[:2]:
        for min_available in (0, 1):
            try:
                records = targets(data, host, device, policy=policy, probes=probes, min_available=min_available,
                                  details=True)
            except AnsibleFilterError:
                with pytest.raises(AnsibleFilterError):
                    compatible(ctx, [h for h in data if h != host][0], host, device, policy=policy, probes=probes)
                continue
            for rec in records:
                assert compatible(ctx, rec["host"], host, device, policy=policy, probes=probes,
                                  min_available=min_available) is rec["selected"]


def shuffled(value, rng):
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return dict((k, shuffled(v, rng)) for k, v in items)
    if isinstance(value, list) and value and isinstance(value[0], dict) and "source_version" in value[0]:
        items = [shuffled(v, rng) for v in value]
        rng.shuffle(items)
        return items
    return value


@given(fleets(), st.sampled_from(["auto", "identity"]), st.integers(0, 2 ** 16))
@settings(max_examples=400, deadline=None, derandomize=True)
def test_output_does_not_depend_on_insertion_order(fleet, policy, seed):
    data, probes = fleet
    rng = random.Random(seed)
    other, other_probes = shuffled(data, rng), shuffled(probes, rng)
    assert domains(data, policy=policy, probes=probes) == domains(other, policy=policy, probes=other_probes)
    for host, device in fleet_devices(data)[:3]:
        try:
            first = targets(data, host, device, policy=policy, probes=probes, details=True)
        except AnsibleFilterError as exc:
            with pytest.raises(AnsibleFilterError) as again:
                targets(other, host, device, policy=policy, probes=other_probes, details=True)
            assert str(again.value) == str(exc)
            continue
        assert first == targets(other, host, device, policy=policy, probes=other_probes, details=True)
