# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
from ansible.module_utils import basic

from ansible_collections.vfio.mdev_migration.plugins.modules import mdev_facts
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.module_runner import fail_module, run_module
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.sysfs_tree import PCI, Link, mdev_type, pci_parent

UUID1 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"
UUID2 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e02"


def run(**args):
    return run_module(mdev_facts, args)


def run_fail(**args):
    return fail_module(mdev_facts, args)


def two_parent_host():
    """2 parents x 3 types; versions under both names; a device-level version; two bad attributes."""
    spec = {}
    spec.update(pci_parent("0000:3b:00.0"))
    spec.update(pci_parent("0000:86:00.0", device="1db4", sub_device="1214", revision="a1", numa="1"))
    spec["module/nvidia/version"] = "550.54.10"
    spec.update(mdev_type("0000:3b:00.0", "nvidia-222", "GRID T4-2Q", 7, description="fb=2048M",
                          version_attr="migration_version", version="10de-1eb8-nvidia-222-550.54.10",
                          devices=[UUID1]))
    spec.update(mdev_type("0000:3b:00.0", "nvidia-223", "GRID T4-4Q", 3, version_attr="version",
                          version="00028086-193b-i915-GVTg_V5_4"))
    spec.update(mdev_type("0000:3b:00.0", "nvidia-224", "GRID T4-8Q", 0, devices=[UUID2]))
    spec.update(mdev_type("0000:86:00.0", "nvidia-300", "GRID V100-2Q", 16, version_attr="migration_version",
                          version="10de-1db4-300"))
    spec.update(mdev_type("0000:86:00.0", "nvidia-301", "GRID V100-4Q", 8))
    spec.update(mdev_type("0000:86:00.0", "nvidia-302", "GRID V100-8Q", 4))
    # unreadable: a directory where an attribute should be; non-UTF-8: raw bytes
    spec["%s/0000:86:00.0/mdev_supported_types/nvidia-301/description" % PCI] = None
    spec["%s/0000:86:00.0/mdev_supported_types/nvidia-302/name" % PCI] = b"V100-\xff\xfe\n"
    spec["%s/0000:3b:00.0/%s/migration_version" % (PCI, UUID1)] = "dev-level-v1"
    return spec


def test_two_parents_three_types_equal_disk(tree):
    root = tree(two_parent_host())
    facts = run(sysfs_root=root)["ansible_facts"]["mdev"]
    assert facts["schema_version"] == 1
    assert facts["sysfs_root"] == os.path.realpath(root)
    assert sorted(facts["parents"]) == ["0000:3b:00.0", "0000:86:00.0"]
    p1 = facts["parents"]["0000:3b:00.0"]
    assert p1["bus"] == "pci" and p1["driver"] == "nvidia" and p1["driver_version"] == "550.54.10"
    assert p1["pci"] == {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de",
                         "subsystem_device_id": "12a2", "revision": "a1"}
    assert p1["numa_node"] == 0
    assert facts["parents"]["0000:86:00.0"]["numa_node"] == 1
    assert facts["parents"]["0000:86:00.0"]["pci"]["device_id"] == "1db4"
    assert sorted(p1["types"]) == ["nvidia-222", "nvidia-223", "nvidia-224"]
    t222 = p1["types"]["nvidia-222"]
    assert t222 == {
        "name": "GRID T4-2Q", "description": "fb=2048M", "device_api": "vfio-pci", "available_instances": 7,
        "devices": [UUID1],
        "migration": {"attribute": "migration_version", "version": "10de-1eb8-nvidia-222-550.54.10",
                      "supported": True, "errno": None},
    }
    assert p1["types"]["nvidia-223"]["migration"] == {
        "attribute": "version", "version": "00028086-193b-i915-GVTg_V5_4", "supported": True, "errno": None}
    assert p1["types"]["nvidia-224"]["migration"] == {
        "attribute": None, "version": None, "supported": None, "errno": None}
    assert p1["types"]["nvidia-224"]["available_instances"] == 0
    assert p1["types"]["nvidia-224"]["description"] is None
    assert facts["devices"] == {
        UUID1: {"parent": "0000:3b:00.0", "type_id": "nvidia-222",
                "migration": {"attribute": "migration_version", "version": "dev-level-v1", "supported": True,
                              "errno": None}},
        UUID2: {"parent": "0000:3b:00.0", "type_id": "nvidia-224",
                "migration": {"attribute": None, "version": None, "supported": None, "errno": None}},
    }
    bad = sorted((e["path"].split("/")[-2] + "/" + e["path"].split("/")[-1], e["errno"]) for e in facts["errors"])
    assert bad == [("nvidia-301/description", "EISDIR"), ("nvidia-302/name", "EILSEQ")]
    # the rest of those two types is still right
    v100 = facts["parents"]["0000:86:00.0"]["types"]
    assert v100["nvidia-301"]["description"] is None and v100["nvidia-301"]["available_instances"] == 8
    assert v100["nvidia-302"]["name"] is None and v100["nvidia-302"]["available_instances"] == 4
    assert facts["vendor_vfio"] == {}


def test_migration_version_preferred_over_version(tree):
    spec = pci_parent("0000:3b:00.0")
    spec.update(mdev_type("0000:3b:00.0", "t-1", "T", 1, version_attr="version", version="old"))
    spec["%s/0000:3b:00.0/mdev_supported_types/t-1/migration_version" % PCI] = "new"
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    assert facts["parents"]["0000:3b:00.0"]["types"]["t-1"]["migration"]["attribute"] == "migration_version"
    assert facts["parents"]["0000:3b:00.0"]["types"]["t-1"]["migration"]["version"] == "new"


def test_unreadable_version_means_unsupported(tree, monkeypatch):
    spec = pci_parent("0000:3b:00.0")
    spec.update(mdev_type("0000:3b:00.0", "t-1", "T", 1, version_attr="migration_version", version="v"))
    spec["%s/0000:3b:00.0/mdev_supported_types/t-1/migration_version" % PCI] = None   # read -> EISDIR
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    mig = facts["parents"]["0000:3b:00.0"]["types"]["t-1"]["migration"]
    assert mig == {"attribute": "migration_version", "version": None, "supported": False, "errno": "EISDIR"}
    assert [e["errno"] for e in facts["errors"]] == ["EISDIR"]


def test_empty_host_is_empty_not_error(tree):
    facts = run(sysfs_root=tree({"devices": None}))["ansible_facts"]["mdev"]
    assert facts["parents"] == {} and facts["devices"] == {} and facts["vendor_vfio"] == {}
    assert facts["errors"] == []


def test_non_pci_parent(tree):
    base = "devices/virtual/mtty/mtty"
    spec = {"class/mdev_bus/mtty": Link(base), base + "/subsystem": Link("class/mtty"), "class/mtty": None,
            base + "/mdev_supported_types/mtty-1/name": "Single port serial",
            base + "/mdev_supported_types/mtty-1/device_api": "vfio-pci",
            base + "/mdev_supported_types/mtty-1/available_instances": "24",
            base + "/mdev_supported_types/mtty-1/devices": None}
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    parent = facts["parents"]["mtty"]
    assert parent["bus"] is None and parent["pci"] is None and parent["driver"] is None
    assert parent["numa_node"] is None
    assert parent["types"]["mtty-1"]["available_instances"] == 24
    assert facts["errors"] == []


def test_parent_link_escaping_root_is_an_error(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere")
    spec = pci_parent("0000:3b:00.0")
    spec["class/mdev_bus/0000:99:00.0"] = Link(str(outside))
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    assert sorted(facts["parents"]) == ["0000:3b:00.0"]
    assert [e["errno"] for e in facts["errors"]] == ["EXDEV"]


def test_non_integer_available_instances(tree):
    spec = pci_parent("0000:3b:00.0")
    spec.update(mdev_type("0000:3b:00.0", "t-1", "T", "many"))
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    assert facts["parents"]["0000:3b:00.0"]["types"]["t-1"]["available_instances"] is None
    assert facts["errors"][0]["errno"] == "EINVAL"
    assert facts["errors"][0]["path"].endswith("t-1/available_instances")


def test_gather_subset_and_parents_filter(tree):
    spec = two_parent_host()
    root = tree(spec)
    facts = run(sysfs_root=root, gather_subset=["!versions", "!pci"], parents=["0000:3b:*"])["ansible_facts"]["mdev"]
    assert facts["gather_subset"] == ["devices", "types", "vendor_vfio"]
    assert list(facts["parents"]) == ["0000:3b:00.0"]
    parent = facts["parents"]["0000:3b:00.0"]
    assert parent["pci"] is None and "migration" not in parent["types"]["nvidia-222"]
    assert "migration" not in facts["devices"][UUID1]
    facts = run(sysfs_root=root, gather_subset=["types"])["ansible_facts"]["mdev"]
    assert facts["devices"] == {} and facts["gather_subset"] == ["types"]


def test_bad_gather_subset_names_the_input(tree):
    result = run_fail(sysfs_root=tree({"d": None}), gather_subset=["typo"])
    assert "gather_subset" in result["msg"] and "'typo'" in result["msg"]


def test_missing_root_names_the_input(tmp_path):
    result = run_fail(sysfs_root=str(tmp_path / "nope"))
    assert "sysfs_root" in result["msg"]


def test_vendor_vfio(tree):
    gpu = "%s/0000:41:00.0" % PCI
    spec = pci_parent("0000:41:00.0", device="2331", sub_device="1626")
    del spec["class/mdev_bus/0000:41:00.0"]
    spec["module/nvidia/version"] = "580.65.06"
    for vf, current, listing in (("0000:41:00.4", "1428", "ID : vGPU Name\n"),
                                 ("0000:41:00.5", "0", "ID    : vGPU Name\n1428 : NVIDIA H100-40C\n1429 : NVIDIA H100-80C\n")):
        base = "%s/%s" % (PCI, vf)
        spec["bus/pci/devices/" + vf] = Link(base)
        spec[base + "/physfn"] = Link(gpu)
        spec[base + "/nvidia/current_vgpu_type"] = current
        spec[base + "/nvidia/creatable_vgpu_types"] = listing.encode()
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    vfs = facts["vendor_vfio"]
    assert sorted(vfs) == ["0000:41:00.4", "0000:41:00.5"]
    assert vfs["0000:41:00.4"]["current_type"] == 1428 and vfs["0000:41:00.4"]["creatable_types"] == {}
    free = vfs["0000:41:00.5"]
    assert free["current_type"] is None
    assert free["creatable_types"] == {"1428": "NVIDIA H100-40C", "1429": "NVIDIA H100-80C"}
    assert free["physfn"] == "0000:41:00.0" and free["driver"] == "nvidia" and free["driver_version"] == "580.65.06"
    assert free["pci"]["device_id"] == "2331" and free["numa_node"] == 0
    assert facts["parents"] == {}


def test_module_never_opens_for_writing(tree, monkeypatch):
    root = tree(two_parent_host())
    flags_seen = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        flags_seen.append(flags)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    run(sysfs_root=root)
    assert flags_seen, "the module read nothing"
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    assert [f for f in flags_seen if f & writing or f & os.O_ACCMODE != os.O_RDONLY] == []


def test_check_mode_returns_same_facts(tree):
    root = tree(two_parent_host())
    normal = run(sysfs_root=root)
    checked = run(sysfs_root=root, _ansible_check_mode=True)
    assert normal["ansible_facts"] == checked["ansible_facts"] and checked["changed"] is False


HOSTILE = ["../../../../etc", "/etc/passwd", "*", "0000:3b:00.0\n", "a\x00b", "é" * 10, "[!x]" * 2500, "x" * 10240]


def test_hostile_parent_patterns_read_nothing_outside_root(tree, monkeypatch):
    root = tree(two_parent_host())
    real = os.path.realpath(root)
    opened = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        opened.append(os.path.realpath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    facts = run(sysfs_root=root, parents=HOSTILE)["ansible_facts"]["mdev"]
    # patterns only select among the parents that exist; "*" matches them all
    assert sorted(facts["parents"]) == ["0000:3b:00.0", "0000:86:00.0"]
    assert opened and all(p.startswith(real + os.sep) for p in opened)


@pytest.mark.parametrize("subset", [["../types"], ["types\n"], ["ty*"], ["x" * 10240], ["tÿpes"]])
def test_hostile_gather_subset_is_refused_with_its_name(tree, subset):
    result = run_fail(sysfs_root=tree({"d": None}), gather_subset=subset)
    assert "gather_subset" in result["msg"] and "unknown subset" in result["msg"]


@pytest.mark.parametrize("root", ["a\x00b", "", "/nonexistent/../nope"])
def test_hostile_sysfs_root_is_refused_with_its_name(root, monkeypatch):
    # ansible-core may refuse a NUL itself while logging the invocation; the module must too
    monkeypatch.setattr(basic.AnsibleModule, "_log_invocation", lambda self: None)
    result = run_fail(sysfs_root=root)
    assert "sysfs_root" in result["msg"]
