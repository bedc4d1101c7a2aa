# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mdev_version_probe on a plain tree (no FUSE): bad input is named, never a raw exception text."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.module_utils import basic

from ansible_collections.vfio.mdev_migration.plugins.modules import mdev_version_probe
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.module_runner import fail_module, run_module
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.sysfs_tree import build_host, mdev_type, pci_parent

V = "10de-1eb8-nvidia-222-550.54.10"
RAW = ("object has no attribute", "unhashable", "null byte", "Traceback")


@pytest.fixture
def host_root(tmp_path):
    spec = pci_parent("0000:3b:00.0")
    spec.update(mdev_type("0000:3b:00.0", "nvidia-222", "T4-2Q", 1, version_attr="migration_version", version="old"))
    return build_host(tmp_path / "h", spec)


def test_positive_control(host_root):
    result = run_module(mdev_version_probe, {"host_root": host_root, "type_id": "nvidia-222", "source_version": V})
    assert [r["verdict"] for r in result["records"]] == ["compatible"] and "results" not in result


@pytest.mark.parametrize("args, named", [
    ({"probes": ["nvidia-222"]}, "probes[0] must be a mapping"),
    ({"probes": [{"type_id": "nvidia-222", "source_version": V, "parents": [{"a": 1}]}]}, "probes[0].parents[0]"),
    ({"probes": [{"type_id": {"a": 1}, "source_version": V}]}, "probes[0].type_id"),
    ({"probes": [{"type_id": "nvidia-222"}]}, "probes[0].source_version"),
    ({"probes": [{"type_id": "nvidia-222", "source_version": V, "typo": 1}]}, "probes[0]: unknown key typo"),
    ({"probes": [{"type_id": "nvidia-222", "source_version": V, "parents": "0000:3b:00.0"}]}, "probes[0].parents"),
    ({"type_id": "nvidia-222", "source_version": V, "attribute": ["auto"]}, "attribute"),
    ({"type_id": "nvidia-222", "source_version": {"v": 1}}, "source_version"),
    ({"type_id": "nvidia-222", "source_version": None}, "source_version"),
    ({"type_id": "nvidia-222", "source_version": 1.1}, "source_version"),
    ({"type_id": "nvidia-222\n", "source_version": V}, "type_id"),
])
def test_bad_input_is_named_without_raw_exception_text(host_root, args, named):
    result = fail_module(mdev_version_probe, dict(args, host_root=host_root))
    assert named in result["msg"]
    assert not any(raw in result["msg"] for raw in RAW), result["msg"]


@pytest.mark.parametrize("option", ["host_root", "sysfs_root"])
@pytest.mark.parametrize("value", ["a\x00b", "", "/nonexistent/x"])
def test_bad_roots_are_named(host_root, monkeypatch, option, value):
    monkeypatch.setattr(basic.AnsibleModule, "_log_invocation", lambda self: None)
    args = {"host_root": host_root, "type_id": "nvidia-222", "source_version": V}
    args[option] = value
    result = fail_module(mdev_version_probe, args)
    assert option in result["msg"] and "null byte" not in result["msg"]
