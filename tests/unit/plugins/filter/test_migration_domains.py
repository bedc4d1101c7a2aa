# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.filter.migration_domains import FilterModule
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    accepted,
    facts,
    hostvars,
    migration,
    source_host,
    target_host,
    vf,
)

domains = FilterModule().filters()["migration_domains"]


def by_version(result):
    return {tuple(d["versions"]) or d["hosts"][0]: d for d in result["domains"]}


def test_groups_by_version_and_identity():
    data = hostvars(src=source_host(), same=target_host(available=2), newer=target_host(version="v-551"),
                    plain=target_host(version=None), gone=None)
    result = domains(data)
    groups = by_version(result)
    assert groups[("v-550",)]["hosts"] == ["same", "src"] and groups[("v-550",)]["evidence"] == "version"
    assert groups[("v-550",)]["capacity"] == 5 and groups[("v-550",)]["devices"] == 1
    assert groups[("v-550",)]["stranded"] == []
    assert groups[("v-551",)]["hosts"] == ["newer"]
    assert groups["plain"]["evidence"] == "policy"
    assert result["hosts_without_facts"] == ["gone"]
    assert [d["id"] for d in result["domains"]] == ["nvidia-222#%d" % i for i in (1, 2, 3)]


def test_stranded_device_has_no_capacity_elsewhere():
    data = hostvars(src=source_host(), full=target_host(available=0))
    (domain,) = domains(data)["domains"]
    assert [s["host"] for s in domain["stranded"]] == ["src"]


def test_unsupported_types_listed_apart():
    data = hostvars(t=target_host(mig=migration(None, supported=False, errno="ENODEV")))
    result = domains(data)
    assert result["domains"] == [] and result["unsupported"][0]["host"] == "t"


def test_probe_evidence_never_merges_versions_and_reports_directions():
    data = hostvars(a=target_host(version="v1"), b=target_host(version="v2"), c=target_host(version="v3"))
    probes = {"a": accepted("v1", "v2"), "b": accepted("v2", "v1", "v3"), "c": accepted("v3")}
    result = domains(data, probes=probes)
    assert [(d["hosts"], d["versions"], d["evidence"]) for d in result["domains"]] == [
        (["a"], ["v1"], "probe"), (["b"], ["v2"], "probe"), (["c"], ["v3"], "probe")]
    assert sorted((d["from_version"], d["to_version"], d["to_hosts"], d["all"]) for d in result["accepted"]) == [
        ("v1", "v2", ["b"], True), ("v2", "v1", ["a"], True), ("v3", "v2", ["b"], True)]
    assert result["one_way"] == [{"type_id": "nvidia-222", "from_version": "v3", "to_version": "v2",
                                  "to_hosts": ["b"], "all": True}]


def test_one_way_direction():
    data = hostvars(a=target_host(version="v1"), b=target_host(version="v2"))
    probes = {"a": accepted("v1"), "b": accepted("v2", "v1")}
    result = domains(data, probes=probes)
    assert sorted(d["hosts"] for d in result["domains"]) == [["a"], ["b"]]
    assert result["one_way"] == [{"type_id": "nvidia-222", "from_version": "v1", "to_version": "v2",
                                  "to_hosts": ["b"], "all": True}]


def test_vendor_vfio_domains():
    data = hostvars(h1=facts(vendor_vfio={"0000:41:00.4": vf(current=1428), "0000:41:00.5": vf(creatable={"1428": "x"})}),
                    h2=facts(vendor_vfio={"0000:41:00.4": vf(creatable={"1428": "x"})}))
    (domain,) = domains(data)["domains"]
    assert domain["kind"] == "vendor_vfio" and domain["type_id"] == "1428"
    assert domain["hosts"] == ["h1", "h2"] and domain["capacity"] == 2 and domain["devices"] == 1


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="hosts"):
        domains(hostvars(a=None), hosts={"a": 1})
    with pytest.raises(AnsibleFilterError, match="input"):
        domains("fleet")
