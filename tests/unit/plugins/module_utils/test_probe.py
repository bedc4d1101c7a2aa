# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe on plain trees (no FUSE): confinement, one write per attribute, strict input."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.vfio.mdev_migration.plugins.module_utils import _constants, _facts, _probe
from ansible_collections.vfio.mdev_migration.plugins.module_utils._probe import execute, plan
from ansible_collections.vfio.mdev_migration.plugins.module_utils._probe_input import ProbeInputError
from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.sysfs_tree import PCI, Link, mdev_type, pci_parent

V = "10de-1eb8-nvidia-222-550.54.10"
UUID = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"
ATTR = "%s/0000:3b:00.0/mdev_supported_types/nvidia-222/migration_version" % PCI


def host(*extra):
    spec = pci_parent("0000:3b:00.0")
    spec.update(pci_parent("0000:86:00.0"))
    spec.update(mdev_type("0000:3b:00.0", "nvidia-222", "T4-2Q", 1, version_attr="migration_version", version=V))
    spec.update(mdev_type("0000:86:00.0", "nvidia-222", "T4-2Q", 1, version_attr="migration_version", version=V))
    for more in extra:
        spec.update(more)
    return spec


def probe(root, requests, attribute="auto"):
    fs = Sysfs(root)
    return execute(fs, plan(fs, requests, attribute))


def written(root, rel):
    with open(os.path.join(root, rel)) as handle:
        return handle.read()


def test_constants_are_shared():
    assert _facts.VERSION_ATTRIBUTES is _constants.VERSION_ATTRIBUTES
    assert _probe.VERSION_ATTRIBUTES is _constants.VERSION_ATTRIBUTES
    assert _facts.UNSUPPORTED_READ_ERRNOS is _constants.UNSUPPORTED_READ_ERRNOS
    assert (_probe.COMPATIBLE, _probe.INCOMPATIBLE, _probe.UNSUPPORTED, _probe.ERROR) == _constants.VERDICTS


def test_is_int_refuses_bool():
    assert _constants.is_int(0) and _constants.is_int(-3)
    assert not _constants.is_int(True) and not _constants.is_int(1.0) and not _constants.is_int("1")


def test_plain_write_positive_control(tree):
    spec = host()
    spec[ATTR] = "old"      # plain files are not truncated: the longer version covers "old\n"
    root = tree(spec)
    (rec,) = probe(root, [{"source_version": V, "type_id": "nvidia-222", "parents": ["0000:3b:00.0"]}])
    assert rec["verdict"] == "compatible" and rec["written"] == len(V)
    assert rec["path"] == os.path.join(os.path.realpath(root), "class/mdev_bus/0000:3b:00.0/mdev_supported_types/"
                                       "nvidia-222/migration_version")
    assert written(root, ATTR) == V


def test_attribute_that_is_a_link_inside_the_root_is_an_error_and_not_written(tree):
    spec = host({"elsewhere/attr": "keep"})
    spec[ATTR] = Link("elsewhere/attr")
    root = tree(spec)
    (rec,) = probe(root, [{"source_version": V, "type_id": "nvidia-222", "parents": ["0000:3b:00.0"]}])
    assert (rec["verdict"], rec["errno"], rec["written"]) == ("error", "ELOOP", None)
    assert "symbolic link" in rec["message"]
    assert written(root, "elsewhere/attr") == "keep\n"


def test_dangling_attribute_link_is_an_error_not_absent(tree):
    spec = host()
    spec[ATTR] = Link("nowhere/attr")
    (rec,) = probe(tree(spec), [{"source_version": V, "type_id": "nvidia-222", "parents": ["0000:3b:00.0"]}])
    assert (rec["verdict"], rec["errno"]) == ("error", "ELOOP")


def test_type_directory_is_never_followed_out_of_mdev_supported_types(tree):
    # The type directory of 3b is a link into 86's types: inside the root, but another parent's.
    spec = host()
    for key in [k for k in spec if "0000:3b:00.0/mdev_supported_types/nvidia-222" in k]:
        del spec[key]
    spec["%s/0000:3b:00.0/mdev_supported_types/nvidia-222" % PCI] = Link(
        "%s/0000:86:00.0/mdev_supported_types/nvidia-222" % PCI)
    root = tree(spec)
    records = probe(root, [{"source_version": "other-version", "type_id": "nvidia-222"}])
    by_parent = dict((r["parent"], r) for r in records)
    assert (by_parent["0000:3b:00.0"]["verdict"], by_parent["0000:3b:00.0"]["errno"]) == ("error", "EXDEV")
    assert by_parent["0000:3b:00.0"]["written"] is None
    # the other parent is probed, once
    assert by_parent["0000:86:00.0"]["written"] == len("other-version")


def test_each_attribute_written_once_when_a_parent_is_named_twice(tree, monkeypatch):
    root = tree(host())
    writes = []
    real = Sysfs.write_once
    monkeypatch.setattr(Sysfs, "write_once", lambda self, rel, data: writes.append(rel) or real(self, rel, data))
    records = probe(root, [{"source_version": V, "type_id": "nvidia-222",
                            "parents": ["0000:3b:00.0", "0000:3b:00.0"]},
                           {"source_version": V, "type_id": "nvidia-222", "parents": ["0000:3b:00.0"]}])
    assert len(writes) == 1
    assert [r["verdict"] for r in records] == ["compatible"] * 3
    assert records[0]["written"] == len(V) and records[1]["written"] is None and records[2]["written"] is None
    assert "not written again" in records[1]["message"] and "record 0" in records[2]["message"]


def test_another_version_on_the_same_attribute_is_another_question(tree, monkeypatch):
    root = tree(host())
    writes = []
    real = Sysfs.write_once
    monkeypatch.setattr(Sysfs, "write_once", lambda self, rel, data: writes.append(data) or real(self, rel, data))
    probe(root, [{"source_version": V, "type_id": "nvidia-222", "parents": ["0000:3b:00.0"]},
                 {"source_version": "v2", "type_id": "nvidia-222", "parents": ["0000:3b:00.0"]}])
    assert writes == [V.encode(), b"v2"]


def test_device_and_type_probe_meeting_on_one_attribute_write_once(tree, monkeypatch):
    root = tree(host(mdev_type("0000:3b:00.0", "nvidia-222", "T4-2Q", 1, version_attr="migration_version",
                               version=V, devices=[UUID])))
    writes = []
    real = Sysfs.write_once
    monkeypatch.setattr(Sysfs, "write_once", lambda self, rel, data: writes.append(rel) or real(self, rel, data))
    records = probe(root, [{"source_version": V, "device": UUID},
                           {"source_version": V, "type_id": "nvidia-222", "parents": ["0000:3b:00.0"]}])
    assert len(writes) == 1 and [r["verdict"] for r in records] == ["compatible", "compatible"]
    assert "/bus/mdev/devices/%s/mdev_type/" % UUID in records[0]["path"]


@pytest.mark.parametrize("entry", ["dangling", "escaping"])
def test_one_unusable_mdev_bus_entry_is_an_error_record_and_the_others_are_probed(tree, tmp_path_factory, entry):
    outside = tmp_path_factory.mktemp("outside")
    os.makedirs(str(outside / "mdev_supported_types" / "nvidia-222"))
    (outside / "mdev_supported_types" / "nvidia-222" / "migration_version").write_text("keep\n")
    spec = host()
    spec["class/mdev_bus/0000:01:00.0"] = Link("devices/nothing") if entry == "dangling" else Link(str(outside))
    root = tree(spec)
    for parents in ([], ["0000:01:00.0", "0000:3b:00.0"]):
        records = probe(root, [{"source_version": V, "type_id": "nvidia-222", "parents": parents}])
        by_parent = dict((r["parent"], r) for r in records)
        bad = by_parent["0000:01:00.0"]
        assert (bad["verdict"], bad["errno"]) == ("error", "ENOENT" if entry == "dangling" else "EXDEV")
        assert bad["path"].endswith("class/mdev_bus/0000:01:00.0") and bad["written"] is None
        assert by_parent["0000:3b:00.0"]["verdict"] == "compatible"
    assert (outside / "mdev_supported_types" / "nvidia-222" / "migration_version").read_text() == "keep\n"


def test_device_whose_mdev_type_leaves_its_parent_is_an_error(tree):
    spec = host(mdev_type("0000:3b:00.0", "nvidia-222", "T4-2Q", 1, version_attr="migration_version",
                          version=V, devices=[UUID]))
    spec["%s/0000:3b:00.0/%s/mdev_type" % (PCI, UUID)] = Link("%s/0000:86:00.0/mdev_supported_types/nvidia-222" % PCI)
    root = tree(spec)
    (rec,) = probe(root, [{"source_version": "x", "device": UUID}])
    assert (rec["verdict"], rec["errno"], rec["written"]) == ("error", "EXDEV", None)
    assert written(root, "%s/0000:86:00.0/mdev_supported_types/nvidia-222/migration_version" % PCI) == V + "\n"


@pytest.mark.parametrize("request_, named", [
    ({"source_version": V, "type_id": "nvidia-222\n"}, "type_id"),
    ({"source_version": V, "type_id": "nvidia-222", "parents": ["0000:3b:00.0\n"]}, "parents[0]"),
    ({"source_version": V, "device": UUID + "\n"}, "device"),
    ({"source_version": 1.1, "type_id": "nvidia-222"}, "source_version"),
    ({"source_version": True, "type_id": "nvidia-222"}, "source_version"),
    ({"source_version": 10, "type_id": "nvidia-222"}, "source_version"),
    ({"source_version": {"a": 1}, "type_id": "nvidia-222"}, "source_version"),
    ({"source_version": ["a"], "type_id": "nvidia-222"}, "source_version"),
    ({"source_version": "   ", "type_id": "nvidia-222"}, "source_version"),
    ({"source_version": "v\t1", "type_id": "nvidia-222"}, "source_version"),
    ({"source_version": V, "type_id": {"a": 1}}, "type_id"),
    ({"source_version": V, "type_id": ["nvidia-222"]}, "type_id"),
    ({"source_version": V, "type_id": "nvidia-222", "parents": [{"a": 1}]}, "parents[0]"),
    ({"source_version": V, "type_id": "nvidia-222", "parents": "0000:3b:00.0"}, "parents"),
    ({"source_version": V, "device": {"a": 1}}, "device"),
    ({"source_version": V, "type_id": "nvidia-222", "extra": 1}, "unknown key extra"),
])
def test_bad_request_names_the_input_and_writes_nothing(tree, request_, named):
    root = tree(host())
    with pytest.raises(ProbeInputError) as exc:
        probe(root, [request_])
    assert named in str(exc.value)
    for raw in ("object has no attribute", "unhashable", "null byte"):
        assert raw not in str(exc.value)
    assert written(root, ATTR) == V + "\n"


@pytest.mark.parametrize("requests, named", [
    (["nvidia-222"], "probes[0] must be a mapping"),
    ([{"source_version": V, "type_id": "nvidia-222"}, 7], "probes[1] must be a mapping"),
    ({"source_version": V}, "probes must be a list"),
])
def test_requests_that_are_not_mappings_are_named(tree, requests, named):
    with pytest.raises(ProbeInputError) as exc:
        probe(tree(host()), requests)
    assert named in str(exc.value)


@pytest.mark.parametrize("attribute", [["auto"], {"a": 1}, None, "auto\n"])
def test_bad_attribute_is_named(tree, attribute):
    with pytest.raises(ProbeInputError) as exc:
        probe(tree(host()), [{"source_version": V, "type_id": "nvidia-222"}], attribute)
    assert "attribute" in str(exc.value)
