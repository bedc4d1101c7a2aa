# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator itself: layout, kernel semantics seen from the shell, faults, write log, CLI."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts import gather_facts
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.simulator import (
    TOOLS,
    mounted_fleet,
    needs_fuse,
    run_command,
    yaml,
)

pytestmark = needs_fuse

EXAMPLE = os.path.join(TOOLS, "fleets", "example.yml")
with open(EXAMPLE) as _handle:
    FLEET = yaml.safe_load(_handle)["hosts"]
PCI = "devices/pci0000:00"
T222 = PCI + "/0000:3b:00.0/mdev_supported_types/nvidia-222"


@pytest.fixture
def example(tmp_path):
    # Function scope: ansible-test runs each test in a forked process, where the teardown of a
    # wider-scoped fixture would never run and its mounts would be left behind.
    with mounted_fleet(tmp_path, FLEET) as fleet:
        yield fleet


def facts_of(host_root):
    """mdev_facts of a host root, its VMs read from the host's own libvirt node file (as the
    inventory's libvirt_uri gives it), not from the machine's libvirt."""
    from mdev_sim.cli import libvirt_uri   # pylint: disable=import-error
    return gather_facts(host_root=host_root, libvirt_uri=libvirt_uri(host_root, "served"), virsh=shutil.which("virsh"), run=run_command)


def cat(path):
    # os.read, not a buffered file: Python's buffered read turns EAGAIN into an empty result.
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


def shell_write(path, text):
    """echo TEXT > PATH from bash, as an operator would; returns (exit status, stderr)."""
    proc = subprocess.run(["bash", "-c", 'echo "$1" > "$2"', "bash", text, path],
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return proc.returncode, proc.stderr


def test_every_attribute_matches_the_description(example):
    checked = 0
    for host, spec in FLEET.items():
        if spec.get("unreachable"):
            assert not os.path.exists(example.host_root(host))
            continue
        root = example.root(host)
        assert cat(os.path.join(example.host_root(host), "proc/sys/kernel/osrelease")) == (
            spec["kernel_release"] + "\n").encode()
        for pname, parent in (spec.get("parents") or {}).items():
            pdir = os.path.join(root, "class/mdev_bus", pname)
            if parent.get("bus", "pci") == "pci":
                for key, name in (("vendor_id", "vendor"), ("device_id", "device"),
                                  ("subsystem_vendor_id", "subsystem_vendor"),
                                  ("subsystem_device_id", "subsystem_device"), ("revision", "revision")):
                    assert cat(os.path.join(pdir, name)) == ("0x%s\n" % parent["pci"][key]).encode()
                    checked += 1
                assert os.path.basename(os.readlink(os.path.join(pdir, "driver"))) == parent["driver"]
                if parent.get("driver_version"):
                    assert cat(os.path.join(root, "module", parent["driver"], "version")) == (
                        parent["driver_version"] + "\n").encode()
            for tid, t in parent["types"].items():
                tdir = os.path.join(pdir, "mdev_supported_types", tid)
                assert cat(os.path.join(tdir, "name")) == (t.get("name", tid) + "\n").encode()
                assert cat(os.path.join(tdir, "device_api")) == b"vfio-pci\n"
                created = [u for u, d in (spec.get("devices") or {}).items() if d["parent"] == pname and d["type"] == tid]
                assert cat(os.path.join(tdir, "available_instances")) == ("%d\n" % t["available_instances"]).encode()
                assert sorted(os.listdir(os.path.join(tdir, "devices"))) == sorted(created)
                mig = t.get("migration")
                if t.get("description") is not None:
                    assert cat(os.path.join(tdir, "description")) == (t["description"] + "\n").encode()
                else:
                    assert not os.path.exists(os.path.join(tdir, "description"))
                if mig is None:
                    assert not os.path.exists(os.path.join(tdir, "migration_version"))
                    assert not os.path.exists(os.path.join(tdir, "version"))
                elif mig.get("supported", True):
                    assert cat(os.path.join(tdir, mig["attribute"])) == (mig["version"] + "\n").encode()
                else:
                    with pytest.raises(OSError) as exc:
                        cat(os.path.join(tdir, mig["attribute"]))
                    assert exc.value.errno == errno.ENODEV
                checked += 1
        for uuid, dev in (spec.get("devices") or {}).items():
            link = os.path.join(root, "bus/mdev/devices", uuid)
            assert os.path.basename(os.path.realpath(os.path.join(link, "mdev_type"))) == dev["type"]
            assert os.path.basename(os.path.dirname(os.path.realpath(link))) == dev["parent"]
        for gpu, g in ((spec.get("vendor_vfio") or {}).get("gpus") or {}).items():
            for vf, v in g["vfs"].items():
                vdir = os.path.join(root, "bus/pci/devices", vf)
                assert cat(os.path.join(vdir, "nvidia/current_vgpu_type")) == ("%d\n" % v["current_type"]).encode()
                assert os.path.basename(os.readlink(os.path.join(vdir, "physfn"))) == gpu
                listing = cat(os.path.join(vdir, "nvidia/creatable_vgpu_types")).decode()
                for tid, name in v["creatable_types"].items():
                    assert ("%s : %s" % (tid, name) in listing) == (not v["current_type"])
    assert checked > 40


def test_version_write_from_the_shell(example):
    path = os.path.join(example.root("gpu-a4"), T222, "migration_version")
    example.clear_log()
    assert shell_write(path, "10de-1eb8-nvidia-222-550.54.10") == (0, "")
    status, err = shell_write(path, "10de-1eb8-nvidia-222-1.0")
    assert status != 0 and "write error: Invalid argument" in err
    log = example.writes()
    assert [(r["data"], r["written"], r["errno"]) for r in log] == [
        ("10de-1eb8-nvidia-222-550.54.10\n", 31, None), ("10de-1eb8-nvidia-222-1.0\n", None, "EINVAL")]
    assert log[0]["path"] == "/sys/" + T222 + "/migration_version" and log[0]["host"] == "gpu-a4"


def test_read_only_attribute_refuses_writes_with_eacces(example):
    path = os.path.join(example.root("gpu-a1"), T222, "name")
    with pytest.raises(OSError) as exc:
        os.open(path, os.O_WRONLY)
    assert exc.value.errno == errno.EACCES
    status, err = shell_write(path, "x")
    assert status != 0 and "Permission denied" in err
    assert cat(path) == b"GRID T4-2Q\n"


def test_absent_attribute_is_enoent(example):
    with pytest.raises(OSError) as exc:
        cat(os.path.join(example.root("gpu-c1"), "class/mdev_bus/0000:af:00.0/mdev_supported_types/nvidia-222/version"))
    assert exc.value.errno == errno.ENOENT


def test_unsupported_type_fails_reads_and_writes_with_enodev(example):
    path = os.path.join(example.root("gpu-b2"), "class/mdev_bus/mdpy/mdev_supported_types/mdpy-vga/migration_version")
    fd = os.open(path, os.O_WRONLY)
    try:
        with pytest.raises(OSError) as exc:
            os.write(fd, b"anything")
    finally:
        os.close(fd)
    assert exc.value.errno == errno.ENODEV


def test_create_adds_device_and_lowers_available_instances(tmp_path):
    with mounted_fleet(tmp_path, {"h": FLEET["gpu-a2"]}) as fleet:
        tdir = os.path.join(fleet.root("h"), T222)
        uuid = "11111111-2222-3333-4444-555555555555"
        assert shell_write(os.path.join(tdir, "create"), uuid)[0] == 0
        assert cat(os.path.join(tdir, "available_instances")) == b"1\n"
        assert os.listdir(os.path.join(tdir, "devices")) == [uuid]
        assert os.path.islink(os.path.join(fleet.root("h"), "bus/mdev/devices", uuid))
        status, err = shell_write(os.path.join(tdir, "create"), "not-a-uuid")
        assert status != 0 and "Invalid argument" in err
        assert shell_write(os.path.join(tdir, "create"), "11111111-2222-3333-4444-555555555556")[0] == 0
        status, err = shell_write(os.path.join(tdir, "create"), "11111111-2222-3333-4444-555555555557")
        assert status != 0 and cat(os.path.join(tdir, "available_instances")) == b"0\n"


# -- faults: each kind is produced by the simulator and recorded by mdev_facts --------------------

NUMA = PCI + "/0000:3b:00.0/numa_node"
NAME = T222 + "/name"
API = T222 + "/device_api"


@pytest.mark.parametrize("fault, path, errno_name", [
    ({"errno": "EIO"}, NUMA, "EIO"),
    ({"errno": "ENODEV"}, NAME, "ENODEV"),
    ({"errno": "EACCES"}, NAME, "EACCES"),
    ({"errno": "EAGAIN"}, NUMA, "EAGAIN"),
    ({"errno": "EIO", "after": 1}, NAME, "EIO"),
    ({"vanish": True}, API, "ENOENT"),     # a mandatory attribute: an optional one is simply absent
    ({"value_hex": "ff fe 0a"}, NAME, "EILSEQ"),
    ({"value_repeat": {"char": "x", "count": 5000}}, NAME, "EOVERFLOW"),
])
def test_fault_is_produced_and_recorded_by_facts(tmp_path, fault, path, errno_name):
    spec = dict(FLEET["gpu-a1"], faults=[dict(fault, path=path)])
    with mounted_fleet(tmp_path, {"h": spec}) as fleet:
        full = os.path.join(fleet.root("h"), path)
        if fault.get("after"):
            assert cat(full) == b"GRID T4-2Q\n"   # the first call goes through
        if "value_hex" in fault or "value_repeat" in fault:
            data = cat(full)
            assert data == (bytes.fromhex(fault["value_hex"]) if "value_hex" in fault else b"x" * 5000)
        else:
            with pytest.raises(OSError) as exc:
                cat(full)
            assert errno.errorcode[exc.value.errno] == errno_name
        if "vanish" in fault:
            assert os.path.basename(path) in os.listdir(os.path.dirname(full))
        facts = facts_of(fleet.host_root("h"))
        assert [(e["path"], e["errno"]) for e in facts["errors"]] == [(full, errno_name)]
        # everything else is still right
        t222 = facts["parents"]["0000:3b:00.0"]["types"]["nvidia-222"]
        assert t222["available_instances"] == 7
        assert t222["migration"]["version"] == "10de-1eb8-nvidia-222-550.54.10"
        assert facts["parents"]["0000:3b:00.0"]["pci"]["device_id"] == "1eb8"


def test_delay_fault(tmp_path):
    spec = dict(FLEET["gpu-a1"], faults=[{"path": NAME, "delay": 0.5}])
    with mounted_fleet(tmp_path, {"h": spec}) as fleet:
        start = time.monotonic()
        facts = facts_of(fleet.host_root("h"))
        assert time.monotonic() - start >= 0.5
        assert facts["errors"] == [] and facts["parents"]["0000:3b:00.0"]["types"]["nvidia-222"]["name"] == "GRID T4-2Q"


def test_short_write_fault(tmp_path):
    spec = dict(FLEET["gpu-a1"], faults=[{"path": T222 + "/migration_version", "op": "write", "short_write": 3}])
    with mounted_fleet(tmp_path, {"h": spec}) as fleet:
        fd = os.open(os.path.join(fleet.root("h"), T222, "migration_version"), os.O_WRONLY)
        try:
            assert os.write(fd, b"10de-1eb8-nvidia-222-550.54.10") == 3
        finally:
            os.close(fd)
        assert fleet.writes()[0]["written"] == 3


def test_fault_path_through_a_link_is_resolved(tmp_path):
    spec = dict(FLEET["gpu-a1"], faults=[{"path": "class/mdev_bus/0000:3b:00.0/numa_node", "errno": "EIO"}])
    with mounted_fleet(tmp_path, {"h": spec}) as fleet:
        with pytest.raises(OSError):
            cat(os.path.join(fleet.root("h"), NUMA))


# -- command line --------------------------------------------------------------------------------

def run_cli(*args):
    env = dict(os.environ, PYTHON=sys.executable)
    return subprocess.run([os.path.join(TOOLS, "mdev-sim")] + list(args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60, check=False)


def mounts_under(path):
    with open("/proc/mounts") as handle:
        return [line.split()[1] for line in handle if line.split()[1].startswith(str(path))]


def test_cli_up_inventory_down(tmp_path):
    directory = tmp_path / "fleet"
    try:
        proc = run_cli("up", EXAMPLE, str(directory))
        assert proc.returncode == 0, proc.stderr
        with open(EXAMPLE) as handle:
            reachable = [n for n, h in yaml.safe_load(handle)["hosts"].items() if not (h or {}).get("unreachable")]
        assert len(reachable) >= 9 and len(mounts_under(directory)) == len(reachable)
        inv = yaml.safe_load(run_cli("inventory", EXAMPLE, str(directory)).stdout)
        hosts = inv["all"]["children"]["mdev_hosts"]["hosts"]
        assert hosts["gpu-a1"]["host_root"] == str(directory / "gpu-a1")
        assert hosts["gpu-a1"]["sysfs_root"] == str(directory / "gpu-a1" / "sys")
        assert hosts["gpu-a1"]["ansible_become_method"] == "ansible.builtin.su"
        assert hosts["gpu-a1"]["ansible_connection"] == "local" and hosts["gpu-a1"]["ecc_mode"] == "enabled"
        assert hosts["gpu-x9"]["ansible_host"] == "127.0.0.1"
    finally:
        assert run_cli("down", str(directory)).returncode == 0
    assert mounts_under(directory) == []


def test_cli_refuses_a_bad_fleet(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("hosts:\n  h:\n    devices:\n      x: {parent: p}\n")
    proc = run_cli("up", str(bad), str(tmp_path / "m"))
    assert proc.returncode == 2 and "hosts.h.devices.x" in proc.stderr
    assert mounts_under(tmp_path) == []


def test_sigterm_unmounts(tmp_path):
    mnt = tmp_path / "m"
    env = dict(os.environ, PYTHONPATH=TOOLS)
    proc = subprocess.Popen([sys.executable, "-m", "mdev_sim", "mount", EXAMPLE, "gpu-a1", str(mnt)], env=env)
    try:
        deadline = time.time() + 15
        while not mounts_under(mnt) and time.time() < deadline:
            time.sleep(0.05)
        assert mounts_under(mnt)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0       # a clean stop
        assert mounts_under(mnt) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        subprocess.run(["fusermount3", "-u", "-z", str(mnt)], stderr=subprocess.DEVNULL, check=False)


def test_materialize_plain_tree_reads_the_same(tmp_path, example):
    from mdev_sim.model import HostModel   # pylint: disable=import-error
    HostModel("gpu-b1", FLEET["gpu-b1"]).materialize(str(tmp_path / "plain"))
    plain = facts_of(str(tmp_path / "plain"))
    fused = facts_of(example.host_root("gpu-b1"))
    for key in ("parents", "devices", "vendor_vfio", "errors", "kernel_release", "boot_id", "machine_id"):
        assert plain[key] == fused[key]
    assert fused["kernel_release"] == FLEET["gpu-b1"]["kernel_release"] and fused["errors"] == []


# -- host roots, identities, module taint ------------------------------------------------------

def test_each_host_serves_a_whole_host_root(example):
    from mdev_sim.model import boot_id_of, machine_id_of   # pylint: disable=import-error
    seen_boot, seen_machine = set(), set()
    for host, spec in FLEET.items():
        if spec.get("unreachable"):
            continue
        root = example.host_root(host)
        assert sorted(os.listdir(root)) == ["etc", "proc", "sys"]
        boot = cat(os.path.join(root, "proc/sys/kernel/random/boot_id")).decode().strip()
        machine = cat(os.path.join(root, "etc/machine-id")).decode().strip()
        assert boot == boot_id_of(host, spec) and len(boot) == 36
        assert machine == machine_id_of(host, spec) and len(machine) == 32 and int(machine, 16) >= 0
        seen_boot.add(boot)
        seen_machine.add(machine)
    assert len(seen_boot) == len(seen_machine) == len([h for h in FLEET if not FLEET[h].get("unreachable")])
    # stable: derived from the name, the same on every load
    assert boot_id_of("gpu-a1", {}) == boot_id_of("gpu-a1", {}) != boot_id_of("gpu-a2", {})


def test_identity_overrides_and_aliases(tmp_path):
    machine = "0123456789abcdef0123456789abcdef"
    boot = "01234567-89ab-4def-8123-456789abcdef"
    hosts = {"a": dict(FLEET["gpu-a2"], machine_id=machine, boot_id=boot),
             "a-alias": {"alias_of": "a", "host_vars": {"x": 1}},
             "b": dict(FLEET["gpu-a2"], machine_id=machine)}
    with mounted_fleet(tmp_path, hosts) as fleet:
        facts = dict((h, facts_of(fleet.host_root(h))) for h in hosts)
    assert facts["a"]["machine_id"] == facts["a-alias"]["machine_id"] == facts["b"]["machine_id"] == machine
    assert facts["a"]["boot_id"] == facts["a-alias"]["boot_id"] == boot != facts["b"]["boot_id"]
    assert facts["a"]["parents"] == facts["a-alias"]["parents"]
    assert all(f["errors"] == [] for f in facts.values())


def test_module_taint_out_of_tree_in_tree_and_override(tmp_path):
    hosts = {"a": FLEET["gpu-a1"], "b": FLEET["gpu-b1"],
             "c": dict(FLEET["gpu-a2"], parents={"0000:3b:00.0": dict(FLEET["gpu-a2"]["parents"]["0000:3b:00.0"],
                                                                      driver_in_tree=True)})}
    with mounted_fleet(tmp_path, hosts) as fleet:
        assert cat(os.path.join(fleet.root("a"), "module/nvidia/taint")) == b"O\n"
        assert cat(os.path.join(fleet.root("b"), "module/i915/taint")) == b"\n"
        facts = dict((h, facts_of(fleet.host_root(h))) for h in hosts)
    assert facts["a"]["parents"]["0000:3b:00.0"]["driver_in_tree"] is False
    assert facts["b"]["parents"]["0000:00:02.0"]["driver_in_tree"] is True
    assert facts["b"]["parents"]["mtty"]["subsystem"] == "mtty"
    assert facts["c"]["parents"]["0000:3b:00.0"]["driver_in_tree"] is True


@pytest.mark.parametrize("fault, errno_name", [({"errno": "EIO"}, "EIO"), ({"errno": "EACCES"}, "EACCES")])
def test_fault_makes_taint_unreadable(tmp_path, fault, errno_name):
    spec = dict(FLEET["gpu-a2"], faults=[dict(fault, path="module/nvidia/taint")])
    with mounted_fleet(tmp_path, {"h": spec}) as fleet:
        facts = facts_of(fleet.host_root("h"))
    assert facts["parents"]["0000:3b:00.0"]["driver_in_tree"] is None
    assert [(e["path"].rsplit("/", 1)[1], e["errno"]) for e in facts["errors"]] == [("taint", errno_name)]


def test_host_root_fault_paths_are_absolute(tmp_path):
    spec = dict(FLEET["gpu-a2"], faults=[{"path": "/etc/machine-id", "errno": "EIO"},
                                         {"path": "/proc/sys/kernel/osrelease", "vanish": True}])
    with mounted_fleet(tmp_path, {"h": spec}) as fleet:
        facts = facts_of(fleet.host_root("h"))
    assert facts["machine_id"] is None and facts["kernel_release"] is None and facts["boot_id"] is not None
    assert sorted(e["errno"] for e in facts["errors"]) == ["EIO", "ENOENT"]


# -- writes as the kernel allows them: root only -----------------------------------------------

def _write_as(uid, path, data):
    """Write ``data`` to ``path`` from a forked child running as ``uid``; returns the errno or 0."""
    pid = os.fork()
    if pid == 0:    # pragma: no cover - the child
        code = 0
        try:
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        except OSError as exc:
            code = exc.errno
        except BaseException:   # pylint: disable=broad-except
            code = 255
        os._exit(code)
    return os.waitpid(pid, 0)[1] >> 8


def test_non_root_write_gets_eacces_and_root_write_goes_through(tmp_path):
    with mounted_fleet(tmp_path, {"h": FLEET["gpu-a2"]}) as fleet:
        tdir = os.path.join(fleet.root("h"), T222)
        version = b"10de-1eb8-nvidia-222-550.54.10"
        fleet.clear_log()
        assert _write_as(65534, os.path.join(tdir, "migration_version"), version) == errno.EACCES
        assert _write_as(65534, os.path.join(tdir, "create"), b"11111111-2222-3333-4444-555555555555") == errno.EACCES
        assert cat(os.path.join(tdir, "available_instances")) == b"2\n"
        assert [(r["uid"], r["errno"]) for r in fleet.writes()] == [(65534, "EACCES"), (65534, "EACCES")]
        # a non-root read of a 0644 attribute works; the positive control: root writes
        pid = os.fork()
        if pid == 0:    # pragma: no cover - the child
            os.setresuid(65534, 65534, 65534)
            os._exit(0 if cat(os.path.join(tdir, "migration_version")) == version + b"\n" else 1)
        assert os.waitpid(pid, 0)[1] == 0
        assert _write_as(0, os.path.join(tdir, "migration_version"), version) == 0
        assert os.stat(os.path.join(tdir, "migration_version")).st_mode & 0o777 == 0o644
        assert os.stat(os.path.join(tdir, "create")).st_mode & 0o777 == 0o200
        assert os.stat(os.path.join(tdir, "create")).st_uid == 0


# -- strict fleet files ------------------------------------------------------------------------

@pytest.mark.parametrize("host, where", [
    ({"parents": {"0000:3b:00.0": {"pci": {"...": None}}}}, "hosts.h.parents.0000:3b:00.0.pci: "),
    ({"parents": {"0000:3b:00.0": {"pci": {"vendor_id": 4318}}}}, "hosts.h.parents.0000:3b:00.0.pci.vendor_id: "),
    ({"parents": {"0000:3b:00.0": {"typo": 1}}}, "hosts.h.parents.0000:3b:00.0: unknown key 'typo'"),
    ({"parents": {"p": {"types": {"t": {"available_instances": "7"}}}}}, "hosts.h.parents.p.types.t.available_instances"),
    ({"parents": {"p": {"types": {"t": {"migration": {"accepts": ["..."]}}}}}}, "hosts.h.parents.p.types.t.migration.accepts[0]"),
    ({"parents": {"p": {"types": {"t": {"migration": {"version": 1.1}}}}}}, "hosts.h.parents.p.types.t.migration.version"),
    ({"kernel_release": 6.8}, "hosts.h.kernel_release: must be a string"),
    ({"devices": {"6f2b1c52-...": {"parent": "p", "type": "t"}}}, "placeholder"),
    ({"unreachable": "no"}, "hosts.h.unreachable"),
    ({"machine_id": "xyz"}, "hosts.h.machine_id"),
    ({"alias_of": "nobody"}, "hosts.h.alias_of"),
    ({"alias_of": "g", "parents": {}}, "an alias"),
    ({"faults": [{"path": "x", "errno": "ENOPE"}]}, "hosts.h.faults[0].errno"),
    ({"faults": [{"path": "x", "bogus": 1}]}, "hosts.h.faults[0]: unknown key 'bogus'"),
    ({"vendor_vfio": {"gpus": {"g": {"vfs": {"v": {"current_type": -1}}}}}}, "vendor_vfio.gpus.g.vfs.v.current_type"),
    ({"vendor_vfio": {"gpus": {"g": {"vfs": {"v": {"creatable_types": {"x1": "a"}}}}}}}, "creatable_types"),
    ({"description": "..."}, "hosts.h: unknown key 'description'"),
])
def test_bad_fleet_names_the_key_path(host, where):
    from mdev_sim.model import FleetError, check_fleet   # pylint: disable=import-error
    with pytest.raises(FleetError) as exc:
        check_fleet({"fleet_format": 1, "hosts": {"h": host, "g": {}}})
    assert where in str(exc.value)


def test_example_fleet_and_the_documented_example_are_valid():
    from mdev_sim.model import HostModel, check_fleet   # pylint: disable=import-error
    with open(os.path.join(TOOLS, "..", "docs", "simulator.md")) as handle:
        doc = handle.read()
    block = doc.split("## Fleet description", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    for fleet in (yaml.safe_load(block), yaml.safe_load(open(EXAMPLE))):
        check_fleet(fleet)
        for name, spec in fleet["hosts"].items():
            HostModel(name, spec, fleet=fleet["hosts"])


def test_cli_up_says_why_a_mount_failed_and_where_the_log_is(tmp_path):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "mfusepy.py").write_text("raise ImportError(\"No module named 'mfusepy'\")\n")
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=str(fake))
    directory = tmp_path / "fleet"
    proc = subprocess.run([os.path.join(TOOLS, "mdev-sim"), "up", EXAMPLE, str(directory)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60,
                          check=False)
    assert proc.returncode == 2
    assert "mfusepy" in proc.stderr and str(directory / "gpu-a1.log") in proc.stderr
    assert "mdev-sim: mdev-sim:" not in proc.stderr and proc.stderr.startswith("mdev-sim: ")
    assert mounts_under(directory) == []
