# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mdev_device against the FUSE simulator: real create/remove writes, real errno, the write log."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.vfio.mdev_migration.plugins.module_utils._mdev_device import definition_bytes
from ansible_collections.vfio.mdev_migration.plugins.modules import mdev_device
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.module_runner import fail_module, run_module
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.simulator import mounted_fleet, needs_fuse

pytestmark = needs_fuse

P, Q, H = "0000:3b:00.0", "0000:86:00.0", "0000:af:00.0"
U1, U2, U3 = ("0b5fd3fb-2389-4a22-ba70-52969a26b9d%d" % i for i in range(1, 4))
OLD = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"


def host(faults=None):
    return {
        "faults": faults or [],
        "parents": {
            P: {"types": {"nvidia-222": {"available_instances": 0}, "nvidia-223": {"available_instances": 2}}},
            Q: {"types": {"nvidia-222": {"available_instances": 3}}},
            H: {"homogeneous": True, "types": {"nvidia-222": {"available_instances": 4},
                                               "nvidia-223": {"available_instances": 2}}},
        },
        "devices": {OLD: {"parent": H, "type": "nvidia-222"}},
        "defined": {OLD: {"parent": H, "type": "nvidia-222", "start": "auto"}},
    }


@pytest.fixture
def sim(tmp_path):
    with mounted_fleet(tmp_path, {"t": host()}) as fleet:
        fleet.clear_log()
        yield fleet


def args(sim, **kw):
    kw.setdefault("host_root", sim.host_root("t"))
    return kw


def run(sim, **kw):
    return run_module(mdev_device, args(sim, **kw))


def fail(sim, **kw):
    return fail_module(mdev_device, args(sim, **kw))


def devices(sim):
    return sorted(os.listdir(os.path.join(sim.root("t"), "bus/mdev/devices")))


def definition(sim, parent, uuid):
    path = os.path.join(sim.host_root("t"), "etc/mdevctl.d", parent, uuid)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return handle.read()


def free(sim, parent, tid):
    with open(os.path.join(sim.root("t"), "class/mdev_bus", parent, "mdev_supported_types", tid,
                           "available_instances")) as handle:
        return int(handle.read())


def test_create_on_the_first_parent_with_a_free_instance_then_unchanged(sim):
    result = run(sim, uuid=U1.upper(), type_id="nvidia-222", parents=[P, Q, H])
    assert result["changed"] is True and result["steps"] == ["create"]
    assert (result["uuid"], result["exists"], result["parent"], result["type_id"], result["persisted"]) == (
        U1, True, Q, "nvidia-222", False)
    assert devices(sim) == [U1, OLD] and free(sim, Q, "nvidia-222") == 2
    writes = sim.writes()
    assert [(w["path"], w["data"], w["errno"]) for w in writes] == [
        ("/sys/devices/pci0000:00/%s/mdev_supported_types/nvidia-222/create" % Q, U1, None)]
    again = run(sim, uuid=U1, type_id="nvidia-222", parents=[P, Q, H])
    assert again["changed"] is False and again["steps"] == [] and again["parent"] == Q
    again = run(sim, uuid=U1, type_id="nvidia-222", parent=Q)
    assert again["changed"] is False
    assert len(sim.writes()) == 1       # the re-runs wrote nothing


def test_check_mode_and_diff_write_nothing(sim):
    result = run(sim, uuid=U1, type_id="nvidia-223", parent=P, persist=True, _ansible_check_mode=True,
                 _ansible_diff=True)
    assert result["changed"] is True and result["steps"] == ["create", "mkdir", "define"]
    assert result["diff"] == {
        "before": {"exists": False, "parent": None, "type_id": None, "persisted": False},
        "after": {"exists": True, "parent": P, "type_id": "nvidia-223", "persisted": True}}
    result = run(sim, uuid=OLD, state="absent", persist=True, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and result["steps"] == ["remove", "undefine"]
    assert result["diff"]["before"] == {"exists": True, "parent": H, "type_id": "nvidia-222", "persisted": True}
    assert result["diff"]["after"] == {"exists": False, "parent": None, "type_id": None, "persisted": False}
    assert sim.writes() == [] and devices(sim) == [OLD] and definition(sim, H, OLD) is not None
    assert not os.path.exists(os.path.join(sim.host_root("t"), "etc/mdevctl.d", P))


def test_remove_then_unchanged(sim):
    result = run(sim, uuid=OLD, state="absent", _ansible_diff=True)
    assert result["changed"] is True and result["steps"] == ["remove"]
    assert result["diff"]["after"]["exists"] is False
    assert devices(sim) == [] and free(sim, H, "nvidia-222") == 5
    # persist: false never touches the definition mdevctl had
    assert result["persisted"] is True and definition(sim, H, OLD) == definition_bytes("nvidia-222", "auto")
    assert [(w["path"], w["data"]) for w in sim.writes()] == [("/sys/devices/pci0000:00/%s/%s/remove" % (H, OLD), "1")]
    assert run(sim, uuid=OLD, state="absent")["changed"] is False
    assert run(sim, uuid=U1, state="absent")["changed"] is False
    assert len(sim.writes()) == 1


def test_persist_writes_mdevctls_file_and_removes_it_again(sim):
    result = run(sim, uuid=U1, type_id="nvidia-223", parent=P, persist=True)
    assert result["steps"] == ["create", "mkdir", "define"] and result["persisted"] is True
    assert definition(sim, P, U1) == (b'{\n  "mdev_type": "nvidia-223",\n  "start": "manual",\n  "attrs": []\n}')
    assert run(sim, uuid=U1, type_id="nvidia-223", parent=P, persist=True)["changed"] is False
    result = run(sim, uuid=U1, type_id="nvidia-223", parent=P, persist=True, start="auto")
    assert result["steps"] == ["define"] and definition(sim, P, U1) == definition_bytes("nvidia-223", "auto")
    # a definition for an active device that had none
    result = run(sim, uuid=OLD, type_id="nvidia-222", parent=H, persist=True, start="auto")
    assert result["changed"] is False
    result = run(sim, uuid=U1, state="absent", persist=True)
    assert result["steps"] == ["remove", "undefine"] and result["persisted"] is False
    assert definition(sim, P, U1) is None and definition(sim, H, OLD) is not None
    assert [(w["op"], w["path"].rsplit("/", 1)[1]) for w in sim.writes()] == [
        ("write", "create"), ("write", U1), ("write", U1), ("write", "remove"), ("unlink", U1)]


def test_persist_false_leaves_an_existing_definition_alone(sim):
    assert run(sim, uuid=OLD, type_id="nvidia-222", parent=H)["changed"] is False
    assert run(sim, uuid=OLD, type_id="nvidia-222", parent=H, persist=False, start="manual")["persisted"] is True
    assert definition(sim, H, OLD) == definition_bytes("nvidia-222", "auto") and sim.writes() == []


@pytest.mark.parametrize("kw, message", [
    ({"uuid": "not-a-uuid", "type_id": "nvidia-222", "parent": P}, "uuid 'not-a-uuid' is not a UUID"),
    ({"uuid": U1, "parent": P}, "type_id is required with state=present"),
    ({"uuid": U1, "type_id": "nvidia-222"}, "parent or parents is required with state=present"),
    ({"uuid": U1, "type_id": "../x", "parent": P}, "type_id '../x' is not a single sysfs name"),
    ({"uuid": U1, "type_id": "nvidia-222", "parents": [P, "a/b"]}, "parents[1] 'a/b' is not a single sysfs name"),
    ({"uuid": U1, "type_id": "nvidia-999", "parents": [P, Q]},
     "type nvidia-999 is not offered by any of the parents 0000:3b:00.0, 0000:86:00.0 (0000:3b:00.0: does not offer "
     "nvidia-999; 0000:86:00.0: does not offer nvidia-999); nothing written"),
    ({"uuid": U1, "type_id": "nvidia-222", "parent": "0000:00:00.0"},
     "type nvidia-222 is not offered by parent 0000:00:00.0 (0000:00:00.0: no such parent under "),
    ({"uuid": U1, "type_id": "nvidia-222", "parent": P},
     "no free instance of type nvidia-222 on parent 0000:3b:00.0 (0000:3b:00.0: 0 available instances); "
     "nothing written"),
    # a homogeneous parent holding nvidia-222 shows 0 for nvidia-223
    ({"uuid": U1, "type_id": "nvidia-223", "parent": H}, "no free instance of type nvidia-223 on parent 0000:af:00.0"),
    ({"uuid": OLD, "type_id": "nvidia-223", "parent": H},
     "device %s already exists with type nvidia-222 on parent 0000:af:00.0, not type nvidia-223" % OLD),
    ({"uuid": OLD, "type_id": "nvidia-222", "parents": [P, Q]},
     "device %s already exists with type nvidia-222 on parent 0000:af:00.0, not type nvidia-222 on any of" % OLD),
    ({"uuid": OLD, "state": "absent", "type_id": "nvidia-223"}, "already exists with type nvidia-222"),
    ({"uuid": OLD, "state": "absent", "parent": Q}, "already exists with type nvidia-222 on parent 0000:af:00.0"),
])
def test_bad_input_and_unreachable_states_fail_naming_them_and_write_nothing(sim, kw, message):
    result = fail(sim, **kw)
    assert message in result["msg"]
    assert sim.writes() == [] and devices(sim) == [OLD]


def test_parent_and_parents_are_mutually_exclusive(sim):
    assert "mutually exclusive" in fail(sim, uuid=U1, type_id="nvidia-222", parent=P, parents=[Q])["msg"]


def test_a_definition_of_the_uuid_elsewhere_is_an_error(sim):
    config = os.path.join(sim.host_root("t"), "etc/mdevctl.d")
    result = run(sim, uuid=OLD, type_id="nvidia-222", parent=H, persist=True, start="manual", mdevctl_config_dir=config)
    assert result["steps"] == ["define"]     # only start differed: rewritten
    # the device goes, its definition (on H) stays
    assert run(sim, uuid=OLD, state="absent")["steps"] == ["remove"]
    result = fail(sim, uuid=OLD, type_id="nvidia-222", parent=Q, persist=True)
    assert "mdevctl already defines %s with type nvidia-222 on parent %s" % (OLD, H) in result["msg"]
    result = fail(sim, uuid=OLD, state="absent", persist=True, type_id="nvidia-223")
    assert "mdevctl defines %s with type nvidia-222 on parent %s" % (OLD, H) in result["msg"]
    assert devices(sim) == [] and [w["op"] for w in sim.writes()] == ["write", "write"]


def test_persist_without_mdevctls_directory_fails_before_writing(sim, tmp_path):
    result = fail(sim, uuid=U1, type_id="nvidia-223", parent=P, persist=True,
                  mdevctl_config_dir=str(tmp_path / "missing"))
    assert "mdevctl_config_dir does not exist" in result["msg"] and sim.writes() == []


@pytest.mark.parametrize("code, message", [
    ("EUSERS", "no free instance left (EUSERS)"),
    ("EEXIST", "a device with this UUID already exists (EEXIST)"),
    ("EINVAL", "the driver refused it (EINVAL)"),
    ("EACCES", "was refused (EACCES): only root may create, remove or define mdevs: run the task with become: true"),
    ("EIO", "failed (EIO "),
])
def test_refused_create_names_the_errno(tmp_path, code, message):
    create = "devices/pci0000:00/%s/mdev_supported_types/nvidia-222/create" % Q
    with mounted_fleet(tmp_path, {"t": host([{"path": create, "op": "write", "errno": code}])}) as sim:
        result = fail(sim, uuid=U1, type_id="nvidia-222", parent=Q, persist=True)
        assert message in result["msg"] and result["msg"].endswith("; nothing changed")
        assert result["changed"] is False and result["steps"] == []
        assert devices(sim) == [OLD] and definition(sim, Q, U1) is None


def test_refused_remove_and_definition_name_the_errno_and_the_steps_made(tmp_path):
    faults = [{"path": "devices/pci0000:00/%s/%s/remove" % (H, OLD), "op": "write", "errno": "EBUSY"},
              {"path": "/etc/mdevctl.d/%s/%s" % (Q, U1), "op": "write", "errno": "ENOSPC"}]
    with mounted_fleet(tmp_path, {"t": host(faults)}) as sim:
        result = fail(sim, uuid=OLD, state="absent")
        assert "removing %s: " % OLD in result["msg"] and "(EBUSY " in result["msg"]
        result = fail(sim, uuid=U1, type_id="nvidia-222", parent=Q, persist=True)
        assert "writing the mdevctl definition of %s" % U1 in result["msg"] and "(ENOSPC " in result["msg"]
        assert result["msg"].endswith("; done before: create, mkdir") and result["changed"] is True
        assert result["steps"] == ["create", "mkdir"] and U1 in devices(sim)


def test_non_root_gets_eacces_and_the_become_hint(sim):
    """A real refusal, not a fault: the module's steps made by uid 65534 in a child."""
    from ansible_collections.vfio.mdev_migration.plugins.module_utils import _mdev_device
    from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import Sysfs
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:    # pragma: no cover - the child
        os.close(read_fd)
        os.setresuid(65534, 65534, 65534)
        fs = Sysfs(sim.root("t"))
        want = _mdev_device.validate({"uuid": U1, "type_id": "nvidia-223", "parent": P})
        try:
            _mdev_device.apply(fs, None, U1, _mdev_device.plan(fs, None, want)[2])
            os.write(write_fd, b"no error")
        except _mdev_device.DeviceError as exc:
            os.write(write_fd, str(exc).encode())
        os._exit(0)
    os.close(write_fd)
    os.waitpid(pid, 0)
    with os.fdopen(read_fd, "rb") as handle:
        message = handle.read().decode()
    assert "(EACCES): only root may create, remove or define mdevs: run the task with become: true" in message
    assert [(w["uid"], w["op"], w["errno"]) for w in sim.writes()] == [(65534, "open", "EACCES")]
