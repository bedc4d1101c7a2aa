# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe against the FUSE simulator: real open/read/write syscalls, real errno."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
from ansible.module_utils import basic

from ansible_collections.vfio.mdev_migration.plugins.modules import mdev_version_probe
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.module_runner import fail_module, run_module
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.simulator import mounted_fleet, needs_fuse

pytestmark = needs_fuse

V222 = "10de-1eb8-nvidia-222-550.54.10"
OTHER = "10de-1eb8-nvidia-222-999.00.00"
UUID = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"
TYPES = "devices/pci0000:00/0000:3b:00.0/mdev_supported_types"


def host(faults=None):
    t4 = {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de", "subsystem_device_id": "12a2"}
    return {
        "kernel_release": "6.8.0-sim",
        "faults": faults or [],
        "parents": {
            "0000:3b:00.0": {"pci": t4, "driver": "nvidia", "driver_version": "550.54.10", "types": {
                "nvidia-222": {"available_instances": 0,
                               "migration": {"attribute": "migration_version", "version": V222}},
                "nvidia-223": {"available_instances": 2},
                "nvidia-224": {"available_instances": 2, "migration": {"attribute": "version", "version": "v1-224"}},
                "nvidia-225": {"available_instances": 2, "migration": {"attribute": "migration_version",
                                                                       "supported": False}},
            }},
            "0000:86:00.0": {"pci": t4, "driver": "nvidia", "driver_version": "550.54.10", "types": {
                "nvidia-222": {"available_instances": 4,
                               "migration": {"attribute": "migration_version", "version": OTHER,
                                             "accepts": [V222]}},
            }},
        },
        "devices": {UUID: {"parent": "0000:3b:00.0", "type": "nvidia-224",
                           "migration": {"attribute": "migration_version", "version": "dev-v1"}}},
    }


@pytest.fixture
def sim(tmp_path):
    with mounted_fleet(tmp_path, {"t": host()}) as fleet:
        fleet.clear_log()
        yield fleet


def probe(sim, **args):
    args.setdefault("sysfs_root", sim.root("t"))
    return run_module(mdev_version_probe, args)


def by_parent(result):
    return {r["parent"]: r for r in result["records"]}


def test_accepted_and_refused_versions_on_every_parent(sim):
    result = probe(sim, type_id="nvidia-222", source_version=V222)
    recs = by_parent(result)
    # 3b publishes V222 itself; 86 publishes another version but its driver accepts V222
    assert recs["0000:3b:00.0"]["verdict"] == "compatible" and recs["0000:3b:00.0"]["written"] == len(V222)
    assert recs["0000:86:00.0"]["verdict"] == "compatible"
    assert result["compatible"] is True and result["changed"] is False
    assert result["compatible_parents"] == ["0000:3b:00.0", "0000:86:00.0"]
    assert len(sim.writes("write")) == 2


def test_refused_version_is_incompatible_with_einval(sim):
    result = probe(sim, type_id="nvidia-222", source_version="10de-1eb8-nvidia-222-1.0", parents=["0000:3b:00.0"])
    (rec,) = result["records"]
    assert (rec["verdict"], rec["errno"], rec["written"]) == ("incompatible", "EINVAL", None)
    assert result["compatible"] is False and result["compatible_parents"] == []
    (write,) = sim.writes()
    assert write["path"] == "/sys/%s/nvidia-222/migration_version" % TYPES and write["errno"] == "EINVAL"
    assert write["data"] == "10de-1eb8-nvidia-222-1.0"


def test_capacity_is_not_compatibility(sim):
    # nvidia-222 on 3b has available_instances 0 and is still compatible
    result = probe(sim, type_id="nvidia-222", source_version=V222, parents=["0000:3b:00.0"])
    assert result["records"][0]["verdict"] == "compatible"


def test_type_without_attribute_is_unsupported_and_not_written(sim):
    result = probe(sim, type_id="nvidia-223", source_version=V222)
    (rec,) = result["records"]
    assert (rec["verdict"], rec["errno"], rec["path"]) == ("unsupported", "ENOENT", None)
    assert sim.writes() == []


def test_v1_version_attribute_is_used_by_auto(sim):
    result = probe(sim, type_id="nvidia-224", source_version="v1-224")
    (rec,) = result["records"]
    assert rec["attribute"] == "version" and rec["verdict"] == "compatible"
    result = probe(sim, type_id="nvidia-224", source_version="v1-224", attribute="migration_version")
    assert result["records"][0]["verdict"] == "unsupported"


def test_migration_unsupported_type_is_unsupported_enodev_without_write(sim):
    result = probe(sim, type_id="nvidia-225", source_version=V222)
    (rec,) = result["records"]
    assert (rec["verdict"], rec["errno"]) == ("unsupported", "ENODEV")
    assert sim.writes() == []   # the failing read already answers: nothing is written


def test_device_probe_covers_device_and_type_attribute(sim):
    result = probe(sim, device=UUID, source_version="dev-v1")
    recs = {r["path"].rsplit("/", 2)[-2]: r for r in result["records"]}
    assert len(result["records"]) == 2
    device_rec = [r for r in result["records"] if "/bus/mdev/devices/" in r["path"]][0]
    type_rec = [r for r in result["records"] if "mdev_type" in r["path"]][0]
    assert device_rec["verdict"] == "compatible" and type_rec["verdict"] == "incompatible"
    assert type_rec["attribute"] == "version" and recs
    # a parent is compatible only when every attribute probed there accepted
    assert result["compatible"] is False
    assert len(sim.writes("write")) == 2


def test_several_probes_in_one_call(sim):
    result = probe(sim, probes=[{"type_id": "nvidia-222", "source_version": V222},
                                {"type_id": "nvidia-224", "source_version": "nope"}])
    assert [p["compatible"] for p in result["probes"]] == [True, False]
    assert result["compatible"] is True
    assert sorted(r["probe"] for r in result["records"]) == [0, 0, 1]
    assert len(sim.writes("write")) == 3


def test_trailing_newline_stripped_once(sim):
    result = probe(sim, type_id="nvidia-222", source_version=V222 + "\n", parents=["0000:3b:00.0"])
    assert result["records"][0]["written"] == len(V222)
    assert sim.writes()[0]["data"] == V222


@pytest.mark.parametrize("fault, verdict, errno", [
    ({"op": "write", "errno": "EACCES"}, "error", "EACCES"),
    ({"op": "write", "errno": "EIO"}, "error", "EIO"),
    ({"op": "write", "errno": "EPERM"}, "error", "EPERM"),
    ({"op": "write", "errno": "ENODEV"}, "unsupported", "ENODEV"),
    ({"op": "write", "errno": "EOPNOTSUPP"}, "unsupported", "EOPNOTSUPP"),
    ({"op": "write", "short_write": 5}, "error", None),
    ({"op": "read", "errno": "EIO"}, "error", "EIO"),
    ({"op": "read", "errno": "ENODEV"}, "unsupported", "ENODEV"),
    ({"op": "read", "errno": "EOPNOTSUPP"}, "unsupported", "EOPNOTSUPP"),
    ({"op": "open", "errno": "EAGAIN", "after": 1}, "error", "EAGAIN"),
])
def test_faults(tmp_path, fault, verdict, errno):
    fault = dict(fault, path="%s/nvidia-222/migration_version" % TYPES)
    with mounted_fleet(tmp_path, {"t": host([fault])}) as fleet:
        fleet.clear_log()
        result = run_module(mdev_version_probe, {"sysfs_root": fleet.root("t"), "type_id": "nvidia-222",
                                                 "source_version": V222, "parents": ["0000:3b:00.0"]})
        (rec,) = result["records"]
        assert (rec["verdict"], rec["errno"]) == (verdict, errno)
        assert result["compatible"] is False
        if errno in ("EACCES", "EPERM"):
            assert "become: true" in rec["message"] and "migration_gate_become" in rec["message"]
            assert "root" in rec["message"]
        if "short_write" in fault:
            assert rec["written"] == 5 and "short write" in rec["message"]
        attempts = fleet.writes()
        assert len(attempts) <= 1
        assert all(a["path"].endswith("nvidia-222/migration_version") for a in attempts)


def test_attribute_appearing_between_listing_and_write_is_not_written(tmp_path):
    # Absent when the probe looks (plan), present a moment later: what was planned stands.
    fault = {"path": "%s/nvidia-222/migration_version" % TYPES, "vanish": True, "until": 2}
    with mounted_fleet(tmp_path, {"t": host([fault])}) as fleet:
        fleet.clear_log()
        result = run_module(mdev_version_probe, {"sysfs_root": fleet.root("t"), "type_id": "nvidia-222",
                                                 "source_version": V222, "parents": ["0000:3b:00.0"],
                                                 "attribute": "migration_version"})
        (rec,) = result["records"]
        assert rec["verdict"] == "unsupported" and result["compatible"] is False
        assert fleet.writes() == []


def test_attribute_vanishing_between_listing_and_write(tmp_path):
    fault = {"path": "%s/nvidia-222/migration_version" % TYPES, "vanish": True, "after": 2}
    with mounted_fleet(tmp_path, {"t": host([fault])}) as fleet:
        result = run_module(mdev_version_probe, {"sysfs_root": fleet.root("t"), "type_id": "nvidia-222",
                                                 "source_version": V222, "parents": ["0000:3b:00.0"]})
        (rec,) = result["records"]
        assert rec["verdict"] == "unsupported" and rec["errno"] == "ENOENT"


@pytest.mark.parametrize("args, named", [
    ({"type_id": "../../../etc", "source_version": V222}, "type_id"),
    ({"type_id": "/etc/passwd", "source_version": V222}, "type_id"),
    ({"type_id": "nvidia-222", "source_version": V222, "parents": ["../.."]}, "parents[0]"),
    ({"type_id": "nvidia-222", "source_version": V222, "parents": ["0000:3b:00.0", "*"]}, "parents[1]"),
    ({"type_id": "nvidia-22?", "source_version": V222}, "type_id"),
    ({"type_id": "nvidia-222", "source_version": "a\nb"}, "source_version"),
    ({"type_id": "nvidia-222", "source_version": "x" * 4097}, "source_version"),
    ({"type_id": "nvidia-222", "source_version": "x" * 10240}, "source_version"),
    ({"type_id": "nvidia-222", "source_version": "versión"}, "source_version"),
    ({"type_id": "nvidia-222", "source_version": ""}, "source_version"),
    ({"type_id": "nvidia-222", "source_version": "\n"}, "source_version"),
    ({"device": "not-a-uuid", "source_version": V222}, "device"),
    ({"device": "../" + UUID, "source_version": V222}, "device"),
    ({"probes": [{"type_id": "nvidia-222", "source_version": V222},
                 {"type_id": "x/y", "source_version": V222}]}, "type_id"),
    ({"probes": [{"type_id": "nvidia-222", "source_version": V222},
                 {"type_id": "nvidia-222", "source_version": "bad\x7f"}]}, "probes[1].source_version"),
    ({"probes": [{"source_version": V222}]}, "type_id or device"),
])
def test_refused_input_names_it_and_writes_nothing(sim, args, named):
    args = dict(args, sysfs_root=sim.root("t"))
    result = fail_module(mdev_version_probe, args)
    assert named in result["msg"]
    assert sim.writes() == []


def test_nul_in_version_is_refused_by_core_or_by_the_module(sim, monkeypatch):
    # ansible-core 2.21 refuses an argument with a NUL while logging the invocation to syslog,
    # before the module runs; without that logging, the module's own validation names it.
    args = {"sysfs_root": sim.root("t"), "type_id": "nvidia-222", "source_version": "a\x00b"}
    result = fail_module(mdev_version_probe, args)
    assert "source_version" in result["msg"] or "embedded null character" in result["msg"]
    monkeypatch.setattr(basic.AnsibleModule, "_log_invocation", lambda self: None)
    result = fail_module(mdev_version_probe, args)
    assert "source_version" in result["msg"] and "printable ASCII" in result["msg"]
    assert sim.writes() == []


def test_parent_link_outside_root_is_an_error_record_and_nothing_is_written(tmp_path):
    outside = tmp_path / "outside"
    (outside / "mdev_supported_types" / "nvidia-222").mkdir(parents=True)
    target = outside / "mdev_supported_types" / "nvidia-222" / "migration_version"
    target.write_text("keep\n")
    root = tmp_path / "tree"
    (root / "class" / "mdev_bus").mkdir(parents=True)
    os.symlink(str(outside), str(root / "class" / "mdev_bus" / "0000:3b:00.0"))
    result = run_module(mdev_version_probe, {"sysfs_root": str(root), "type_id": "nvidia-222",
                                             "source_version": V222})
    (rec,) = result["records"]
    assert (rec["parent"], rec["verdict"], rec["errno"], rec["written"]) == ("0000:3b:00.0", "error", "EXDEV", None)
    assert "outside" in rec["message"] and result["compatible"] is False
    assert target.read_text() == "keep\n"


def test_one_broken_parent_does_not_stop_the_others(tmp_path):
    fault = {"path": "class/mdev_bus/0000:86:00.0", "link_to": "../../../../../../../../../../etc"}
    with mounted_fleet(tmp_path, {"t": host([fault])}) as fleet:
        fleet.clear_log()
        result = run_module(mdev_version_probe, {"host_root": fleet.host_root("t"), "type_id": "nvidia-222",
                                                 "source_version": V222})
        recs = by_parent(result)
        assert (recs["0000:86:00.0"]["verdict"], recs["0000:86:00.0"]["errno"]) == ("error", "EXDEV")
        assert recs["0000:3b:00.0"]["verdict"] == "compatible" and result["compatible_parents"] == ["0000:3b:00.0"]
        assert len(fleet.writes("write")) == 1


def test_records_not_results_and_every_record_key(sim):
    result = probe(sim, type_id="nvidia-222", source_version=V222)
    assert "results" not in result
    for rec in result["records"]:
        assert sorted(rec) == sorted(["probe", "parent", "type_id", "device", "attribute", "path", "source_version",
                                      "verdict", "errno", "written", "message"])
    assert [sorted(p) for p in result["probes"]] == [sorted(["source_version", "type_id", "device", "compatible",
                                                             "compatible_parents"])]


def test_host_root_option_reads_sysfs_under_it(sim):
    result = run_module(mdev_version_probe, {"host_root": sim.host_root("t"), "type_id": "nvidia-222",
                                             "source_version": V222, "parents": ["0000:3b:00.0"]})
    assert result["records"][0]["path"].startswith(os.path.join(sim.host_root("t"), "sys", "class", "mdev_bus"))
    assert result["compatible"] is True


@pytest.mark.parametrize("value", [1.1, 10, True, {"a": 1}, ["v"]])
def test_source_version_must_be_a_real_string(sim, value):
    for args in ({"type_id": "nvidia-222", "source_version": value},
                 {"probes": [{"type_id": "nvidia-222", "source_version": value}]}):
        result = fail_module(mdev_version_probe, dict(args, sysfs_root=sim.root("t")))
        assert "source_version" in result["msg"] and "must be a string" in result["msg"]
    assert sim.writes() == []


def test_names_with_a_trailing_newline_are_refused(sim):
    for args, named in (({"type_id": "nvidia-222\n"}, "type_id"), ({"device": UUID + "\n"}, "device"),
                        ({"type_id": "nvidia-222", "parents": ["0000:3b:00.0\n"]}, "parents[0]")):
        result = fail_module(mdev_version_probe, dict(args, sysfs_root=sim.root("t"), source_version=V222))
        assert named in result["msg"]
    assert sim.writes() == []


def test_parent_named_twice_is_written_once(sim):
    result = probe(sim, type_id="nvidia-222", source_version=V222, parents=["0000:3b:00.0", "0000:3b:00.0"])
    assert [r["verdict"] for r in result["records"]] == ["compatible", "compatible"]
    assert "not written again" in result["records"][1]["message"]
    assert len(sim.writes("write")) == 1


def test_non_root_probe_is_an_error_that_says_to_become_root(sim):
    from ansible_collections.vfio.mdev_migration.plugins.module_utils._probe import execute, plan
    from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:    # pragma: no cover - the child, as nobody
        try:
            os.close(read_end)
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            fs = Sysfs(sim.root("t"))
            (rec,) = execute(fs, plan(fs, [{"source_version": V222, "type_id": "nvidia-222",
                                            "parents": ["0000:3b:00.0"]}]))
            os.write(write_end, json.dumps(rec).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    data = b""
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    rec = json.loads(data.decode())
    assert (rec["verdict"], rec["errno"], rec["written"]) == ("error", "EACCES", None)
    assert "become: true" in rec["message"] and "root" in rec["message"]
    (attempt,) = sim.writes()
    assert (attempt["uid"], attempt["op"], attempt["errno"]) == (65534, "open", "EACCES")


def test_missing_sysfs_root_is_named(tmp_path):
    result = fail_module(mdev_version_probe, {"sysfs_root": str(tmp_path / "none"), "type_id": "t",
                                              "source_version": "v"})
    assert "sysfs_root" in result["msg"]


def test_check_mode_still_probes_and_reports_unchanged(sim):
    result = probe(sim, type_id="nvidia-222", source_version=V222, parents=["0000:3b:00.0"], _ansible_check_mode=True)
    assert result["changed"] is False and result["compatible"] is True
    assert len(sim.writes("write")) == 1
