# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator's create and remove, with the kernel's errno, and its writable etc/mdevctl.d."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

import pytest

from ansible_collections.vfio.mdev_migration.tests.unit.plugins.simulator import mounted_fleet, needs_fuse

P, Q = "0000:3b:00.0", "0000:86:00.0"
U1, U2, U3 = ("11111111-2222-3333-4444-55555555555%d" % i for i in range(1, 4))


def host(homogeneous=False):
    return {"parents": {
        P: {"homogeneous": homogeneous, "types": {"a": {"available_instances": 2}, "b": {"available_instances": 1}}},
        Q: {"types": {"a": {"available_instances": 0}}},
    }}


def write(path, data, uid=0):
    """One write(2) of ``data`` (as ``uid``, in a child): 0 or the errno."""
    pid = os.fork()
    if pid == 0:    # pragma: no cover - the child
        code = 0
        try:
            if uid:
                os.setresuid(uid, uid, uid)
            fd = os.open(path, os.O_WRONLY)
            try:
                code = 0 if os.write(fd, data) == len(data) else 254
            finally:
                os.close(fd)
        except OSError as exc:
            code = exc.errno
        except BaseException:   # pylint: disable=broad-except
            code = 255
        os._exit(code)
    return os.waitpid(pid, 0)[1] >> 8


def cat(path):
    with open(path) as handle:
        return handle.read()


class Host:
    def __init__(self, fleet):
        self.fleet = fleet
        self.sys = fleet.root("h")

    def types(self, parent=P):
        return os.path.join(self.sys, "class/mdev_bus", parent, "mdev_supported_types")

    def create(self, tid, data, parent=P, uid=0):
        return write(os.path.join(self.types(parent), tid, "create"), data, uid)

    def remove(self, uuid, data=b"1", uid=0):
        return write(os.path.join(self.sys, "bus/mdev/devices", uuid, "remove"), data, uid)

    def free(self, tid, parent=P):
        return int(cat(os.path.join(self.types(parent), tid, "available_instances")))

    def devices(self):
        return sorted(os.listdir(os.path.join(self.sys, "bus/mdev/devices")))


@pytest.fixture
def sim(tmp_path):
    with mounted_fleet(tmp_path, {"h": host()}) as fleet:
        fleet.clear_log()
        yield Host(fleet)


pytestmark = needs_fuse


def test_create_makes_the_device_its_links_and_takes_an_instance(sim):
    assert sim.create("a", U1.encode()) == 0
    assert sim.create("a", (U2.upper() + "\n").encode()) == 0     # 37 bytes; named in lower case
    assert sim.devices() == [U1, U2]
    assert sorted(os.listdir(os.path.join(sim.types(), "a", "devices"))) == [U1, U2]
    link = os.path.join(sim.sys, "bus/mdev/devices", U1)
    assert os.path.realpath(link) == os.path.realpath(os.path.join(sim.sys, "class/mdev_bus", P, U1))
    assert os.path.basename(os.path.realpath(os.path.join(link, "mdev_type"))) == "a"
    assert sim.free("a") == 0 and sim.free("b") == 1
    assert [(r["data"], r["written"]) for r in sim.fleet.writes()] == [(U1, 36), (U2.upper() + "\n", 37)]


@pytest.mark.parametrize("data", [
    U1[:-1].encode(),                       # 35 bytes
    (U1 + "\n\n").encode(),                 # 38 bytes
    U1.replace("-", "_").encode(),          # no dashes where guid_parse wants them
    ("g" + U1[1:]).encode(),                # not a hex digit
    b"not-a-uuid",
    b"",
])
def test_malformed_uuid_is_einval_and_creates_nothing(sim, data):
    assert sim.create("a", data) == (errno.EINVAL if data else 0)     # write(2) of 0 bytes never reaches sysfs
    assert sim.devices() == [] and sim.free("a") == 2


def test_a_37th_byte_is_not_looked_at(sim):
    # create_store passes count <= 37 bytes to guid_parse, which reads the first 36 only.
    assert sim.create("a", (U1 + "x").encode()) == 0
    assert sim.devices() == [U1]


def test_duplicate_uuid_is_eexist_on_any_parent_and_type(sim):
    assert sim.create("a", U1.encode()) == 0
    assert sim.create("a", U1.encode()) == errno.EEXIST
    assert sim.create("b", U1.encode()) == errno.EEXIST
    assert sim.free("a") == 1 and sim.free("b") == 1
    assert [r["errno"] for r in sim.fleet.writes()] == [None, "EEXIST", "EEXIST"]


def test_no_free_instance_is_eusers(sim):
    assert sim.create("a", U1.encode(), parent=Q) == errno.EUSERS
    assert sim.create("b", U1.encode()) == 0
    assert sim.create("b", U2.encode()) == errno.EUSERS
    assert sim.devices() == [U1] and sim.free("b") == 0


def test_remove_gives_the_instance_back_and_the_file_goes_with_the_device(sim):
    assert sim.create("a", U1.encode()) == 0
    assert sim.remove(U1, b"0") == 0                # 0: nothing happens
    assert sim.devices() == [U1]
    for data in (b"x", b"1x", b"-1", b"", b"0x"):
        assert sim.remove(U1, data) == (errno.EINVAL if data else 0)
    assert sim.devices() == [U1] and sim.free("a") == 1
    assert sim.remove(U1, b"1\n") == 0
    assert sim.devices() == [] and sim.free("a") == 2
    assert os.listdir(os.path.join(sim.types(), "a", "devices")) == []
    assert not os.path.exists(os.path.join(sim.sys, "class/mdev_bus", P, U1))
    assert sim.remove(U1) == errno.ENOENT
    # kstrtoul(buf, 0): hex and octal non-zero values remove too
    for data in (b"0x1", b"01", b"+7"):
        assert sim.create("a", U2.encode()) == 0
        assert sim.remove(U2, data) == 0 and sim.devices() == []


def test_only_root_creates_and_removes(sim):
    assert sim.create("a", U1.encode(), uid=65534) == errno.EACCES
    assert sim.create("a", U1.encode()) == 0
    assert sim.remove(U1, uid=65534) == errno.EACCES
    assert sim.devices() == [U1]
    assert [(r["uid"], r["op"], r["errno"]) for r in sim.fleet.writes()] == [
        (65534, "open", "EACCES"), (0, "write", None), (65534, "open", "EACCES")]


def test_homogeneous_parent_takes_one_type_at_a_time(tmp_path):
    with mounted_fleet(tmp_path, {"h": host(homogeneous=True)}) as fleet:
        sim = Host(fleet)
        assert (sim.free("a"), sim.free("b")) == (2, 1)
        assert sim.create("a", U1.encode()) == 0
        assert (sim.free("a"), sim.free("b")) == (1, 0)
        assert sim.create("b", U2.encode()) == errno.EINVAL
        assert sim.create("a", U2.encode()) == 0        # more of the same type: fine
        assert sim.remove(U1) == 0
        assert (sim.free("a"), sim.free("b")) == (1, 0)   # still holds U2
        assert sim.remove(U2) == 0
        assert (sim.free("a"), sim.free("b")) == (2, 1)
        assert sim.create("b", U3.encode()) == 0
        assert (sim.free("a"), sim.free("b")) == (0, 0)


def test_homogeneous_is_checked_like_the_other_keys():
    from mdev_sim.model import FleetError, check_fleet   # pylint: disable=import-error
    with pytest.raises(FleetError) as exc:
        check_fleet({"hosts": {"h": {"parents": {P: {"homogeneous": "yes", "types": {}}}}}})
    assert "hosts.h.parents.%s.homogeneous: must be true or false" % P in str(exc.value)


def test_root_writes_mdevctl_definitions_others_get_eacces(sim):
    config = os.path.join(sim.fleet.host_root("h"), "etc/mdevctl.d")
    path = os.path.join(config, P, U1)
    pid = os.fork()
    if pid == 0:    # pragma: no cover - the child
        os.setresuid(65534, 65534, 65534)
        try:
            os.mkdir(os.path.join(config, P))
        except OSError as exc:
            os._exit(exc.errno)
        os._exit(0)
    assert os.waitpid(pid, 0)[1] >> 8 == errno.EACCES
    os.mkdir(os.path.join(config, P))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, b'{"a": 1}')
    os.close(fd)
    with pytest.raises(OSError) as exc:
        os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    assert exc.value.errno == errno.EEXIST
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b"{}")
    os.close(fd)
    assert cat(path) == "{}" and os.stat(path).st_size == 2 and os.stat(path).st_mode & 0o777 == 0o644
    with pytest.raises(OSError) as exc:
        os.open(os.path.join(config, "scripts.d", "x"), os.O_WRONLY | os.O_CREAT, 0o644)
    assert exc.value.errno == errno.EACCES
    os.unlink(path)
    assert os.listdir(os.path.join(config, P)) == []
    os.rmdir(os.path.join(config, P))
    assert sorted(os.listdir(config)) == ["scripts.d"]
    assert [(r["op"], r["data"]) for r in sim.fleet.writes() if r["path"].startswith("/etc")] == [
        ("open", ""), ("write", '{"a": 1}'), ("write", "{}"), ("unlink", "")]
