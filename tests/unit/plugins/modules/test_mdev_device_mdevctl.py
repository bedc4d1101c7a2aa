# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mdev_device's definitions read back by the real mdevctl 1.2.0, and compared byte for byte with
the files ``mdevctl define`` writes (in a private mount namespace, as the simulator tests do)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

import pytest

from ansible_collections.vfio.mdev_migration.plugins.modules import mdev_device
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.module_runner import run_module
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.simulator import mounted_fleet, require
from ansible_collections.vfio.mdev_migration.tests.unit.tools.test_simulator_libvirt_mdevctl import (
    mdevctl_mount_point,
    run_mdevctl,
)

P = "0000:3b:00.0"
U1, U2, U3 = ("0b5fd3fb-2389-4a22-ba70-52969a26b9d%d" % i for i in range(1, 4))
WANTED = [  # uuid, parent, type, start
    (U1, P, "nvidia-222", "auto"),
    (U2, P, "nvidia-223", "manual"),
    (U3, "mtty", "mtty-1", "auto"),
]
HOST = {"parents": {
    P: {"pci": {"vendor_id": "10de", "device_id": "1eb8"}, "driver": "nvidia", "driver_version": "550.54.10",
        "types": {"nvidia-222": {"available_instances": 4}, "nvidia-223": {"available_instances": 2}}},
    "mtty": {"bus": "virtual", "class": "mtty", "types": {"mtty-1": {"available_instances": 2}}},
}}


@pytest.fixture
def mdevctl():
    require(["mdevctl", "unshare", "mount"])


def files(top):
    """Every directory (None) and file (its bytes) under ``top``, by relative path."""
    found = {}
    for directory, dirs, names in os.walk(top):
        for name in dirs:
            found[os.path.relpath(os.path.join(directory, name), top)] = None
        for name in names:
            with open(os.path.join(directory, name), "rb") as handle:
                found[os.path.relpath(os.path.join(directory, name), top)] = handle.read()
    return found


def listing(sys_dir, config_dir, *args):
    proc = run_mdevctl(sys_dir, config_dir, "list", "--dumpjson", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_definitions_are_the_files_mdevctl_define_writes(tmp_path, mdevctl):
    written = tempfile.mkdtemp(prefix="mdevctl-d-", dir=str(tmp_path))
    for script_dir in ("scripts.d/callouts", "scripts.d/notifiers"):
        os.makedirs(os.path.join(written, script_dir))
    with mounted_fleet(tmp_path, {"h": HOST}) as fleet, mdevctl_mount_point():
        fleet.clear_log()
        sys_dir = fleet.root("h")
        served = os.path.join(fleet.host_root("h"), "etc/mdevctl.d")
        for uuid, parent, type_id, start in WANTED:
            result = run_module(mdev_device, {"host_root": fleet.host_root("h"), "uuid": uuid, "type_id": type_id,
                                              "parent": parent, "persist": True, "start": start})
            assert result["changed"] and result["persisted"]
            args = ["define", "--uuid", uuid, "--parent", parent, "--type", type_id]
            proc = run_mdevctl(sys_dir, written, *(args + (["--auto"] if start == "auto" else [])))
            assert proc.returncode == 0, proc.stderr
        # byte for byte, and nothing else in the directory
        assert files(served) == files(written)
        assert len([v for v in files(served).values() if v is not None]) == len(WANTED)
        # mdevctl reads them as it reads its own
        defined = listing(sys_dir, served, "--defined")
        assert defined == listing(sys_dir, written, "--defined")
        flat = dict((uuid, (parent, body)) for entry in defined for parent, items in entry.items()
                    for item in items for uuid, body in item.items())
        assert flat == dict((uuid, (parent, {"mdev_type": type_id, "start": start, "attrs": []}))
                            for uuid, parent, type_id, start in WANTED)
        # and the devices the module created are active for mdevctl, with their definitions' start
        active = dict((uuid, body["start"]) for entry in listing(sys_dir, served) for items in entry.values()
                      for item in items for uuid, body in item.items())
        assert active == dict((uuid, start) for uuid, _p, _t, start in WANTED)
        # undefine: the module removes the file mdevctl undefine would, and mdevctl lists none
        for uuid, _parent, _type, _start in WANTED:
            result = run_module(mdev_device, {"host_root": fleet.host_root("h"), "uuid": uuid, "state": "absent",
                                              "persist": True})
            assert result["steps"] == ["remove", "undefine"]
            proc = run_mdevctl(sys_dir, written, "undefine", "--uuid", uuid)
            assert proc.returncode == 0, proc.stderr
        assert listing(sys_dir, served, "--defined") == []
        # the same tree as mdevctl undefine leaves: no file, the parents' directories kept
        assert files(served) == files(written)
        assert all(v is None for v in files(served).values())
        ops = [w["op"] for w in fleet.writes()]
        assert ops.count("unlink") == len(WANTED) and all(w["errno"] is None for w in fleet.writes())
