# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import platform
import re

import pytest
from ansible.module_utils import basic

from ansible_collections.vfio.mdev_migration.plugins.modules import mdev_facts
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.module_runner import fail_module, run_module
from ansible_collections.vfio.mdev_migration.plugins.module_utils import _sysfs
from ansible_collections.vfio.mdev_migration.plugins.module_utils._probe_input import ProbeInputError, validate_version
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.sysfs_tree import (
    BOOT_ID,
    MACHINE_ID,
    PCI,
    RELEASE,
    Link,
    build_host,
    mdev_type,
    pci_parent,
)

UUID1 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"
UUID2 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e02"


@pytest.fixture(scope="module")
def no_vms(tmp_path_factory):
    """A libvirt test-driver connection without domains: the trees here have no VMs."""
    path = tmp_path_factory.mktemp("libvirt") / "empty.xml"
    path.write_text("<node></node>\n")
    return "test://%s" % path


@pytest.fixture(autouse=True)
def _default_libvirt(request, no_vms):
    global NO_VMS
    NO_VMS = no_vms


NO_VMS = None


def run(**args):
    args.setdefault("libvirt_uri", NO_VMS)
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
    assert facts["schema_version"] == 2
    assert facts["sysfs_root"] == os.path.realpath(root)
    assert sorted(facts["parents"]) == ["0000:3b:00.0", "0000:86:00.0"]
    p1 = facts["parents"]["0000:3b:00.0"]
    assert p1["bus"] == "pci" and p1["driver"] == "nvidia" and p1["driver_version"] == "550.54.10"
    assert p1["subsystem"] == "pci" and p1["driver_module"] == "nvidia" and p1["driver_in_tree"] is None
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
        UUID1: {"parent": "0000:3b:00.0", "type_id": "nvidia-222", "domain": None,
                "migration": {"attribute": "migration_version", "version": "dev-level-v1", "supported": True,
                              "errno": None}},
        UUID2: {"parent": "0000:3b:00.0", "type_id": "nvidia-224", "domain": None,
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


def test_unreadable_version_is_unknown_not_unsupported(tree):
    spec = pci_parent("0000:3b:00.0")
    spec.update(mdev_type("0000:3b:00.0", "t-1", "T", 1, version_attr="migration_version", version="v"))
    spec["%s/0000:3b:00.0/mdev_supported_types/t-1/migration_version" % PCI] = None   # read -> EISDIR
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    mig = facts["parents"]["0000:3b:00.0"]["types"]["t-1"]["migration"]
    assert mig == {"attribute": "migration_version", "version": None, "supported": None, "errno": "EISDIR"}
    assert [e["errno"] for e in facts["errors"]] == ["EISDIR"]


def _failing_read(cls, suffix, errno_):
    """``cls.read`` failing with ``errno_`` for a path (relative to the root) ending in ``suffix``."""
    real_read = cls.read

    def read(self, relpath, follow=True):
        path = self.path(relpath) if isinstance(self, _sysfs.SysfsDir) else relpath
        if path.endswith(suffix):
            return None, _sysfs.SysfsError(self.abspath(relpath), errno_, "injected")
        return real_read(self, relpath, follow)

    return read


@pytest.mark.parametrize("errno_, supported, recorded", [
    ("ENODEV", False, False), ("EOPNOTSUPP", False, False),
    ("EIO", None, True), ("EACCES", None, True), ("EILSEQ", None, True), ("EOVERFLOW", None, True),
])
def test_version_read_errno_states(tree, monkeypatch, errno_, supported, recorded):
    spec = pci_parent("0000:3b:00.0")
    spec.update(mdev_type("0000:3b:00.0", "t-1", "T", 1, version_attr="migration_version", version="v"))
    # A type's attributes are read through a SysfsDir, anything else by path: fault both.
    for cls in (_sysfs.Sysfs, _sysfs.SysfsDir):
        monkeypatch.setattr(cls, "read", _failing_read(cls, "t-1/migration_version", errno_))
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    mig = facts["parents"]["0000:3b:00.0"]["types"]["t-1"]["migration"]
    assert mig == {"attribute": "migration_version", "version": None, "supported": supported, "errno": errno_}
    assert [e["errno"] for e in facts["errors"]] == ([errno_] if recorded else [])


BAD_VERSIONS = {
    "empty": b"\n",
    "whitespace": b"   \n",
    "tab": b"v1\tx\n",
    "nul": b"v1\x00x\n",
    "del": b"v1\x7f\n",
    "non_ascii": "versi\u00f3n\n".encode("utf-8"),
    "inner_newline": b"v1\nv2\n",
}


@pytest.mark.parametrize("case", sorted(BAD_VERSIONS))
def test_version_the_probe_would_refuse_is_gathered_as_invalid(tree, case):
    spec = pci_parent("0000:3b:00.0")
    spec.update(mdev_type("0000:3b:00.0", "t-1", "T", 1, version_attr="migration_version", version="v"))
    spec["%s/0000:3b:00.0/mdev_supported_types/t-1/migration_version" % PCI] = BAD_VERSIONS[case]
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    mig = facts["parents"]["0000:3b:00.0"]["types"]["t-1"]["migration"]
    assert mig == {"attribute": "migration_version", "version": None, "supported": None, "errno": "EINVAL"}
    (error,) = facts["errors"]
    assert error["errno"] == "EINVAL" and error["path"].endswith("t-1/migration_version")
    assert "not a migration version" in error["message"]
    # the same rule as the probe's: the probe refuses to write that value
    value = BAD_VERSIONS[case].decode("utf-8")
    with pytest.raises(ProbeInputError):
        validate_version(value)


def test_longest_valid_version_is_gathered_and_accepted_by_the_probe(tree):
    spec = pci_parent("0000:3b:00.0")
    spec.update(mdev_type("0000:3b:00.0", "t-1", "T", 1, version_attr="migration_version", version="v"))
    spec["%s/0000:3b:00.0/mdev_supported_types/t-1/migration_version" % PCI] = b"v" * 4096
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    mig = facts["parents"]["0000:3b:00.0"]["types"]["t-1"]["migration"]
    assert mig["supported"] is True and mig["version"] == "v" * 4096 and facts["errors"] == []
    assert validate_version("v" * 4096) == b"v" * 4096
    with pytest.raises(ProbeInputError):
        validate_version("v" * 4097)


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
    assert parent["subsystem"] == "mtty" and parent["driver_module"] is None and parent["driver_in_tree"] is None
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


@pytest.mark.parametrize("text", ["1_000", "-1", "+3", "\u0663", "0x3", " 3"])
def test_available_instances_is_strict_decimal(tree, text):
    spec = pci_parent("0000:3b:00.0")
    spec.update(mdev_type("0000:3b:00.0", "t-1", "T", text))
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    assert facts["parents"]["0000:3b:00.0"]["types"]["t-1"]["available_instances"] is None
    assert [e["errno"] for e in facts["errors"]] == ["EINVAL"]


def test_gather_subset_and_parents_filter(tree):
    spec = two_parent_host()
    root = tree(spec)
    facts = run(sysfs_root=root, gather_subset=["!versions", "!pci"], parents=["0000:3b:*"])["ansible_facts"]["mdev"]
    assert facts["gather_subset"] == ["devices", "libvirt", "mdevctl", "types", "vendor_vfio"]
    assert list(facts["parents"]) == ["0000:3b:00.0"]
    parent = facts["parents"]["0000:3b:00.0"]
    assert parent["pci"] is None and "migration" not in parent["types"]["nvidia-222"]
    assert "migration" not in facts["devices"][UUID1]
    facts = run(sysfs_root=root, gather_subset=["types"])["ansible_facts"]["mdev"]
    assert facts["devices"] == {} and facts["gather_subset"] == ["types"]


@pytest.mark.parametrize("subset, gathered", [
    (["!all"], []),
    (["!all", "types"], ["types"]),
    (["types", "!all"], ["types"]),
    (["!all", "!types"], []),
    (["!pci"], ["devices", "libvirt", "mdevctl", "types", "vendor_vfio", "versions"]),
    (["all", "!pci"], ["devices", "libvirt", "mdevctl", "types", "vendor_vfio", "versions"]),
    (["all"], ["devices", "libvirt", "mdevctl", "pci", "types", "vendor_vfio", "versions"]),
])
def test_gather_subset_not_all_gathers_nothing_optional(tree, subset, gathered):
    facts = run(sysfs_root=tree(two_parent_host()), gather_subset=subset)["ansible_facts"]["mdev"]
    assert facts["gather_subset"] == gathered
    parent = facts["parents"]["0000:3b:00.0"]
    assert (parent["types"] != {}) == ("types" in gathered)
    assert (facts["devices"] != {}) == ("devices" in gathered)
    assert (parent["pci"] is not None) == ("pci" in gathered)
    # parents and their driver facts are always there
    assert parent["driver"] == "nvidia" and parent["subsystem"] == "pci"


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
    spec["module/nvidia/taint"] = "OE"
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
    assert free["current_type"] == 0
    assert free["creatable_types"] == {"1428": "NVIDIA H100-40C", "1429": "NVIDIA H100-80C"}
    assert free["physfn"] == "0000:41:00.0" and free["driver"] == "nvidia" and free["driver_version"] == "580.65.06"
    assert free["subsystem"] == "pci" and free["driver_module"] == "nvidia" and free["driver_in_tree"] is False
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
    for result in (normal, checked):
        assert ISO_Z.match(result["ansible_facts"]["mdev"].pop("gathered_at"))
    assert normal["ansible_facts"] == checked["ansible_facts"] and checked["changed"] is False


HOSTILE = ["../../../../etc", "/etc/passwd", "*", "0000:3b:00.0\n", "a\x00b", "é" * 10, "[!x]" * 2500, "x" * 10240]


def test_hostile_parent_patterns_read_nothing_outside_root(tree, monkeypatch):
    root = tree(two_parent_host())
    real = os.path.realpath(root)
    opened = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        # a name opened relative to a directory descriptor is where that directory is
        base = os.readlink("/proc/self/fd/%d" % kwargs["dir_fd"]) if kwargs.get("dir_fd") is not None else ""
        opened.append(os.path.realpath(os.path.join(base, path)))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    facts = run(host_root=root, sysfs_root=root, parents=HOSTILE)["ansible_facts"]["mdev"]
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


# -- host roots -------------------------------------------------------------------------------

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")


def test_host_root_identity_files_and_sources(tmp_path):
    root = build_host(tmp_path / "h", two_parent_host())
    facts = run(host_root=root)["ansible_facts"]["mdev"]
    real = os.path.realpath(root)
    assert facts["host_root"] == real and facts["sysfs_root"] == os.path.join(real, "sys")
    assert (facts["kernel_release"], facts["boot_id"], facts["machine_id"]) == (RELEASE, BOOT_ID, MACHINE_ID)
    assert facts["sources"] == {
        "kernel_release": os.path.join(real, "proc/sys/kernel/osrelease"),
        "boot_id": os.path.join(real, "proc/sys/kernel/random/boot_id"),
        "machine_id": os.path.join(real, "etc/machine-id"),
        "sysfs_root": os.path.join(real, "sys"),
    }
    assert ISO_Z.match(facts["gathered_at"])
    assert sorted(facts["parents"]) == ["0000:3b:00.0", "0000:86:00.0"]
    assert [e["errno"] for e in facts["errors"]] == ["EISDIR", "EILSEQ"]


def test_explicit_sysfs_root_wins_over_host_root(tmp_path):
    root = build_host(tmp_path / "h", {"devices": None})
    other = build_host(tmp_path / "other", two_parent_host())
    facts = run(host_root=root, sysfs_root=os.path.join(other, "sys"))["ansible_facts"]["mdev"]
    assert facts["sysfs_root"] == os.path.realpath(os.path.join(other, "sys")) and len(facts["parents"]) == 2
    assert facts["sources"]["machine_id"] == os.path.join(os.path.realpath(root), "etc/machine-id")


def test_unreadable_identity_files_are_null_and_recorded(tmp_path):
    root = build_host(tmp_path / "h", {"devices": None}, osrelease=None, boot_id=None, machine_id="uninitialized")
    facts = run(host_root=root)["ansible_facts"]["mdev"]
    assert (facts["kernel_release"], facts["boot_id"], facts["machine_id"]) == (None, None, None)
    real = os.path.realpath(root)
    assert sorted((e["path"], e["errno"]) for e in facts["errors"]) == [
        (os.path.join(real, "etc/machine-id"), "EINVAL"),
        (os.path.join(real, "proc/sys/kernel/osrelease"), "ENOENT"),
        (os.path.join(real, "proc/sys/kernel/random/boot_id"), "ENOENT"),
    ]
    # the sources still name where each was looked for
    assert facts["sources"]["boot_id"] == os.path.join(real, "proc/sys/kernel/random/boot_id")


def test_identity_file_that_is_a_directory_is_an_error_not_a_traceback(tmp_path):
    root = build_host(tmp_path / "h", {"devices": None}, machine_id=None, extra={"etc/machine-id": None})
    facts = run(host_root=root)["ansible_facts"]["mdev"]
    assert facts["machine_id"] is None
    assert [e["errno"] for e in facts["errors"]] == ["EISDIR"]


def test_simulated_kernel_osrelease_in_sysfs_is_not_read(tmp_path):
    # No real kernel has <sysfs>/kernel/osrelease; a tree carrying one does not set the release.
    root = build_host(tmp_path / "h", {"kernel/osrelease": "9.9.9-bogus"})
    facts = run(host_root=root)["ansible_facts"]["mdev"]
    assert facts["kernel_release"] == RELEASE
    facts = run(sysfs_root=os.path.join(root, "sys"))["ansible_facts"]["mdev"]
    assert facts["kernel_release"] != "9.9.9-bogus"


def test_default_host_root_reads_the_real_files(tree):
    facts = run(sysfs_root=tree({"devices": None}))["ansible_facts"]["mdev"]
    assert facts["host_root"] == "/"
    if os.access("/proc/sys/kernel/osrelease", os.R_OK):
        with open("/proc/sys/kernel/osrelease") as handle:
            assert facts["kernel_release"] == handle.read().strip()
        assert facts["sources"]["kernel_release"] == "/proc/sys/kernel/osrelease"
    else:
        assert facts["kernel_release"] == platform.release() and facts["sources"]["kernel_release"] == "uname"
    with open("/proc/sys/kernel/random/boot_id") as handle:
        assert facts["boot_id"] == handle.read().strip()


def test_no_uname_fallback_outside_the_real_root(tmp_path):
    root = build_host(tmp_path / "h", {"devices": None}, osrelease=None)
    facts = run(host_root=root)["ansible_facts"]["mdev"]
    assert facts["kernel_release"] is None and facts["sources"]["kernel_release"].endswith("proc/sys/kernel/osrelease")


@pytest.mark.parametrize("option", ["host_root", "sysfs_root"])
def test_bad_roots_are_named(tmp_path, option):
    result = run_fail(**{option: str(tmp_path / "missing")})
    assert option in result["msg"]


def test_host_root_without_sys_names_the_default(tmp_path):
    result = run_fail(host_root=str(tmp_path))
    assert "sysfs_root" in result["msg"] and "<host_root>/sys" in result["msg"]


# -- vendor-VFIO VFs: current_type and ASCII ids -----------------------------------------------

def vf_host(current, listing="ID : vGPU Name\n1428 : NVIDIA H100-40C\n"):
    gpu = "%s/0000:41:00.0" % PCI
    spec = pci_parent("0000:41:00.0", device="2331", sub_device="1626")
    del spec["class/mdev_bus/0000:41:00.0"]
    base = "%s/0000:41:00.4" % PCI
    spec["bus/pci/devices/0000:41:00.4"] = Link(base)
    spec[base + "/physfn"] = Link(gpu)
    spec[base + "/nvidia/current_vgpu_type"] = current
    spec[base + "/nvidia/creatable_vgpu_types"] = listing.encode("utf-8")
    return spec


def test_free_vf_is_zero_and_used_vf_its_type(tree):
    facts = run(sysfs_root=tree(vf_host("0")))["ansible_facts"]["mdev"]
    assert facts["vendor_vfio"]["0000:41:00.4"]["current_type"] == 0 and facts["errors"] == []


@pytest.mark.parametrize("current, errno_", [(None, "EISDIR"), ("\u0661\u0664\u0662\u0668", "EINVAL"),
                                             ("-1", "EINVAL"), ("free", "EINVAL")])
def test_unreadable_current_type_is_null_not_free(tree, current, errno_):
    facts = run(sysfs_root=tree(vf_host(current)))["ansible_facts"]["mdev"]
    vf = facts["vendor_vfio"]["0000:41:00.4"]
    assert vf["current_type"] is None
    assert [(e["path"].rsplit("/", 1)[1], e["errno"]) for e in facts["errors"]] == [("current_vgpu_type", errno_)]


def test_creatable_ids_are_ascii_digits_only(tree):
    listing = "ID : vGPU Name\n1428 : NVIDIA H100-40C\n\u0661\u0664\u0662\u0669 : NVIDIA H100-80C\n\uff11 : X\n"
    facts = run(sysfs_root=tree(vf_host("0", listing)))["ansible_facts"]["mdev"]
    assert facts["vendor_vfio"]["0000:41:00.4"]["creatable_types"] == {"1428": "NVIDIA H100-40C"}


# -- identity of parents: subsystem, driver module, in-tree ------------------------------------

@pytest.mark.parametrize("taint, in_tree", [("", True), ("E", True), ("O", False), ("OE", False), ("POE", False)])
def test_driver_in_tree_from_taint(tree, taint, in_tree):
    spec = pci_parent("0000:3b:00.0")
    spec["module/nvidia/taint"] = taint
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    parent = facts["parents"]["0000:3b:00.0"]
    assert (parent["driver_module"], parent["driver_in_tree"]) == ("nvidia", in_tree)
    assert facts["errors"] == []


def test_unreadable_taint_is_null_and_recorded(tree):
    spec = pci_parent("0000:3b:00.0")
    spec["module/nvidia/taint"] = None      # a directory: EISDIR
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    assert facts["parents"]["0000:3b:00.0"]["driver_in_tree"] is None
    assert [e["errno"] for e in facts["errors"]] == ["EISDIR"]


def test_module_from_the_driver_module_link(tree):
    spec = pci_parent("0000:3b:00.0", driver="i915")
    spec["bus/pci/drivers/i915/module"] = Link("module/i915_mod")
    spec["module/i915_mod/taint"] = ""
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    parent = facts["parents"]["0000:3b:00.0"]
    assert (parent["driver"], parent["driver_module"], parent["driver_in_tree"]) == ("i915", "i915_mod", True)


def test_broken_subsystem_link_is_null_and_recorded(tree):
    spec = pci_parent("0000:3b:00.0")
    spec["%s/0000:3b:00.0/subsystem" % PCI] = Link("bus/nothing")
    facts = run(sysfs_root=tree(spec))["ansible_facts"]["mdev"]
    parent = facts["parents"]["0000:3b:00.0"]
    assert parent["subsystem"] is None and parent["bus"] is None
    assert [(e["path"].rsplit("/", 1)[1], e["errno"]) for e in facts["errors"]] == [("subsystem", "ENOENT")]
