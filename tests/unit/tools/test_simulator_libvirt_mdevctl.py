# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator's libvirt domains and mdevctl definitions, read back by the real virsh and mdevctl.

virsh reads each host's test-driver node file through the URI the inventory gives; mdevctl 1.2.0,
which has no option for another root, runs in a private mount namespace with the host's simulated
sys/ bound on /sys and its etc/mdevctl.d on /etc/mdevctl.d.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import copy
import errno
import json
import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.vfio.mdev_migration.tests.unit.plugins.simulator import (
    TOOLS,
    mounted_fleet,
    require,
    run_command,
    yaml,
)

EXAMPLE = os.path.join(TOOLS, "fleets", "example.yml")
with open(EXAMPLE) as _handle:
    FLEET = yaml.safe_load(_handle)["hosts"]
ETC_MDEVCTL = "/etc/mdevctl.d"
VIRSH_STATE = {"running": "running", "paused": "paused", "shutoff": "shut off"}

T4 = "0000:3b:00.0"
U1, U2, U3, U4 = ("6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e0%d" % i for i in range(1, 5))
VF, OTHER_VF = "0000:41:00.4", "0000:41:00.5"


# -- what the tests need: missing means a failure, not a skip -------------------------------------

@pytest.fixture
def virsh():
    require(["virsh"])


@pytest.fixture
def mdevctl():
    require(["mdevctl", "unshare", "mount"])


def host_spec(**extra):
    """A host with a T4 (two vGPUs), the mtty sample (one device) and a vendor-VFIO GPU with two VFs."""
    spec = {
        "kernel_release": "6.8.0-sim",
        "parents": {
            T4: {"pci": {"vendor_id": "10de", "device_id": "1eb8"}, "driver": "nvidia", "driver_version": "550.54.10",
                 "types": {"nvidia-222": {"name": "GRID T4-2Q", "available_instances": 6},
                           "nvidia-223": {"name": "GRID T4-4Q", "available_instances": 2}}},
            "mtty": {"bus": "virtual", "class": "mtty", "types": {"mtty-1": {"available_instances": 3}}},
        },
        "devices": {U1: {"parent": T4, "type": "nvidia-222"}, U2: {"parent": T4, "type": "nvidia-223"},
                    U3: {"parent": "mtty", "type": "mtty-1"}},
        "vendor_vfio": {"gpus": {"0000:41:00.0": {"vfs": {VF: {"current_type": 1428}, OTHER_VF: {"current_type": 0}}}}},
    }
    spec.update(extra)
    return spec


def fleet_file_of(tmp_path):
    # mounted_fleet writes the fleet it mounts here.
    return os.path.join(str(tmp_path), "fleet.yml")


# -- strict fleet files: the new keys ---------------------------------------------------------------

@pytest.mark.parametrize("extra, where", [
    ({"domains": {"vm": {"uuid": "not-a-uuid"}}}, "hosts.h.domains.vm.uuid: must be a lower-case UUID"),
    ({"domains": {"vm": {"uuid": "2D0C5D4E-7B1A-4C3E-9F2A-6B8D1E4F7A01"}}}, "hosts.h.domains.vm.uuid: "),
    ({"domains": {"vm": {"state": "crashed"}}}, "hosts.h.domains.vm.state: 'crashed' is not one of running, paused, shutoff"),
    ({"domains": {"vm": {"persistent": "yes"}}}, "hosts.h.domains.vm.persistent: must be true or false"),
    ({"domains": {"vm": {"memory": 4096}}}, "hosts.h.domains.vm: unknown key 'memory'"),
    ({"domains": {"vm": {"devices": U1}}}, "hosts.h.domains.vm.devices: must be a list"),
    ({"domains": {"vm": {"devices": ["gpu0"]}}}, "hosts.h.domains.vm.devices[0]: 'gpu0' is neither an mdev UUID"),
    ({"domains": {"vm": {"devices": [U1, U4]}}}, "hosts.h.domains.vm.devices[1]: the running domain holds mdev %s, "
                                                 "which is not one of this host's devices" % U4),
    ({"domains": {"vm": {"state": "paused", "devices": ["0000:42:00.4"]}}},
     "hosts.h.domains.vm.devices[0]: the paused domain holds 0000:42:00.4, which is not a VF"),
    ({"domains": {"vm": {"devices": [U1, U1]}}}, "hosts.h.domains.vm.devices[1]: %s is listed twice" % U1),
    ({"domains": {"web01": {"devices": [U1]}, "cad01": {"devices": [U2, U1]}}},
     "hosts.h.domains.cad01.devices[1]: %s is already held by the active domain web01" % U1),
    ({"domains": {"a": {"devices": [VF]}, "b": {"state": "paused", "devices": [VF]}}},
     "hosts.h.domains.b.devices[0]: %s is already held by the active domain a" % VF),
    ({"domains": {"vm": {"state": "shutoff", "persistent": False}}},
     "hosts.h.domains.vm: a transient domain (persistent: false) cannot be shutoff"),
    ({"domains": {"a": {"uuid": "2d0c5d4e-7b1a-4c3e-9f2a-6b8d1e4f7a01"}, "b": {"uuid": "2d0c5d4e-7b1a-4c3e-9f2a-6b8d1e4f7a01"}}},
     "hosts.h.domains.b.uuid: 2d0c5d4e-7b1a-4c3e-9f2a-6b8d1e4f7a01 is already the uuid of domain a"),
    ({"domains": {"a/b": {}}}, "hosts.h.domains.a/b: 'a/b' is not a libvirt domain name"),
    ({"defined": {"not-a-uuid": {"parent": T4, "type": "nvidia-222"}}}, "hosts.h.defined.not-a-uuid: the key must be"),
    ({"defined": {U1: {"parent": T4}}}, "hosts.h.defined.%s: needs 'parent' and 'type'" % U1),
    ({"defined": {U1: {"parent": T4, "mdev_type": "nvidia-222"}}}, "hosts.h.defined.%s: unknown key 'mdev_type'" % U1),
    ({"defined": {U1: {"parent": T4, "type": "nvidia-222", "start": "always"}}},
     "hosts.h.defined.%s.start: 'always' is not one of auto, manual" % U1),
    ({"defined": {U1: {"parent": T4, "type": "nvidia-222", "attrs": [{"frame_rate_limiter": 0}]}}},
     "hosts.h.defined.%s.attrs[0]: must be a mapping of one attribute name to a string value" % U1),
    ({"defined": {U1: {"parent": T4, "type": "nvidia-222", "attrs": [{"a": "1", "b": "2"}]}}},
     "hosts.h.defined.%s.attrs[0]: " % U1),
    ({"defined": {U1: {"parent": "scripts.d", "type": "nvidia-222"}}}, "hosts.h.defined.%s.parent: " % U1),
    ({"libvirt": "offline"}, "hosts.h.libvirt: 'offline' is not one of served, malformed, refused"),
])
def test_bad_domains_definitions_and_libvirt_name_the_key_path(extra, where):
    from mdev_sim.model import FleetError, check_fleet   # pylint: disable=import-error
    with pytest.raises(FleetError) as exc:
        check_fleet({"fleet_format": 1, "hosts": {"h": host_spec(**extra)}})
    assert where in str(exc.value)


def test_an_alias_takes_its_domains_from_the_machine():
    from mdev_sim.model import FleetError, HostModel, check_fleet   # pylint: disable=import-error
    with pytest.raises(FleetError) as exc:
        check_fleet({"hosts": {"h": host_spec(), "h-alias": {"alias_of": "h", "domains": {}}}})
    assert "hosts.h-alias: an alias (alias_of) takes only" in str(exc.value)
    hosts = {"h": host_spec(domains={"vm": {}}), "h-alias": {"alias_of": "h"}}
    node_file = "etc/libvirt/mdev-sim.xml"
    served = [HostModel(n, hosts[n], fleet=hosts).entries[node_file].content() for n in hosts]
    assert served[0] == served[1] and b"<name>vm</name>" in served[0]


def test_what_libvirt_and_a_real_host_allow_is_valid():
    from mdev_sim.model import HostModel, check_fleet, domain_uuid_of   # pylint: disable=import-error
    spec = host_spec(domains={
        "web01": {"devices": [U1, VF]},
        "old": {"state": "shutoff", "devices": [U1, U4, OTHER_VF, "0000:99:00.1"]},   # a definition left behind
        "paused": {"state": "paused", "persistent": False, "devices": [U2]},
        "bare": None,
    }, defined={U4: {"parent": "0000:af:00.0", "type": "nvidia-222"}})    # a parent this host lacks: mdevctl allows it
    check_fleet({"hosts": {"h": spec}})
    assert domain_uuid_of("h", "bare", None) == domain_uuid_of("h", "bare", {}) != domain_uuid_of("g", "bare", {})
    assert b"<uuid>%s</uuid>" % domain_uuid_of("h", "bare", None).encode() in (
        HostModel("h", spec).entries["etc/libvirt/mdev-sim.xml"].content())


def test_inventory_gives_each_reachable_host_a_libvirt_uri(tmp_path):
    from mdev_sim.cli import inventory   # pylint: disable=import-error
    fleet = {"fleet_format": 1, "hosts": {
        "served": host_spec(), "malformed": host_spec(libvirt="malformed"), "refused": host_spec(libvirt="refused"),
        "refused-alias": {"alias_of": "refused"}, "gone": {"unreachable": True}}}
    path = tmp_path / "fleet.yml"
    path.write_text(yaml.safe_dump(fleet))
    directory = tmp_path / "m"
    hosts = inventory(str(path), str(directory))["all"]["children"]["mdev_hosts"]["hosts"]
    node_file = "/etc/libvirt/mdev-sim.xml"
    assert hosts["served"]["libvirt_uri"] == "test://%s/served%s" % (directory, node_file)
    assert hosts["malformed"]["libvirt_uri"] == "test://%s/malformed%s" % (directory, node_file)
    for name in ("refused", "refused-alias"):
        assert hosts[name]["libvirt_uri"] == "qemu+unix:///system?socket=%s/%s/run/libvirt/no-such-sock" % (directory, name)
    assert "libvirt_uri" not in hosts["gone"]


def test_definition_files_are_written_as_mdevctl_writes_them():
    from mdev_sim.model import mdevctl_definition_json   # pylint: disable=import-error
    assert mdevctl_definition_json({"parent": T4, "type": "nvidia-222", "start": "auto"}) == (
        b'{\n  "mdev_type": "nvidia-222",\n  "start": "auto",\n  "attrs": []\n}')
    assert mdevctl_definition_json({"parent": T4, "type": "t", "attrs": [{"k": "v"}]}) == (
        b'{\n  "mdev_type": "t",\n  "start": "manual",\n  "attrs": [\n    {\n      "k": "v"\n    }\n  ]\n}')


# -- virsh reads the served domains -------------------------------------------------------------------

def run(cmd, **kwargs):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60,
                          check=False, **kwargs)


def virsh_ok(uri, *args):
    proc = run(["virsh", "-r", "-c", uri] + list(args))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def dominfo(uri, name):
    lines = virsh_ok(uri, "dominfo", name).splitlines()
    return dict((k.strip(), v.strip()) for k, _sep, v in (line.partition(":") for line in lines) if _sep)


def hostdevs(uri, name):
    """The mdev UUIDs and the PCI addresses (0000:41:00.4) of a domain's hostdevs, as dumpxml gives them."""
    root = ET.fromstring(virsh_ok(uri, "dumpxml", name))
    mdevs = [h.find("source/address").get("uuid") for h in root.iter("hostdev") if h.get("type") == "mdev"]
    pcis = ["%04x:%02x:%02x.%x" % tuple(int(a.get(k), 16) for k in ("domain", "bus", "slot", "function"))
            for a in (h.find("source/address") for h in root.iter("hostdev") if h.get("type") == "pci")]
    return mdevs, pcis


def uris(tmp_path, directory):
    from mdev_sim.cli import inventory   # pylint: disable=import-error
    hosts = inventory(fleet_file_of(tmp_path), directory)["all"]["children"]["mdev_hosts"]["hosts"]
    return dict((name, hostvars.get("libvirt_uri")) for name, hostvars in hosts.items())


def assert_virsh_sees(uri, host, domains):
    """virsh lists exactly ``domains`` (the fleet's), with their uuid, state, persistence and devices."""
    from mdev_sim.model import domain_uuid_of   # pylint: disable=import-error
    assert sorted(virsh_ok(uri, "list", "--all", "--name").split()) == sorted(domains)
    for name, domain in domains.items():
        domain = domain or {}
        info = dominfo(uri, name)
        assert info["UUID"] == domain_uuid_of(host, name, domain)
        assert info["State"] == VIRSH_STATE[domain.get("state", "running")]
        assert info["Persistent"] == ("yes" if domain.get("persistent", True) else "no")
        mdevs, pcis = hostdevs(uri, name)
        devices = domain.get("devices") or []
        assert mdevs == [d for d in devices if d.count("-") == 4] and pcis == [d for d in devices if ":" in d]


def test_virsh_reads_every_state_persistence_and_device(tmp_path, virsh):
    domains = {
        "web01": {"uuid": "2d0c5d4e-7b1a-4c3e-9f2a-6b8d1e4f7a01", "devices": [U1]},
        "ml01": {"state": "paused", "devices": [VF, U2]},
        "scratch": {"persistent": False, "devices": [U3]},
        "old": {"state": "shutoff", "devices": [U1, U4]},
        "empty": None,
    }
    with mounted_fleet(tmp_path, {"h": host_spec(domains=domains)}) as fleet:
        uri = uris(tmp_path, fleet.directory)["h"]
        assert uri == "test://%s/h/etc/libvirt/mdev-sim.xml" % fleet.directory
        assert_virsh_sees(uri, "h", domains)
        # A configuration file stats as its length (sysfs attributes as 4096 bytes).
        node_file = os.path.join(fleet.host_root("h"), "etc/libvirt/mdev-sim.xml")
        with open(node_file, "rb") as handle:
            assert os.stat(node_file).st_size == len(handle.read())


def test_virsh_reads_the_example_fleet(tmp_path, virsh):
    with mounted_fleet(tmp_path, FLEET) as fleet:
        served = uris(tmp_path, fleet.directory)
        checked = 0
        for host, spec in FLEET.items():
            if spec.get("unreachable"):
                assert served[host] is None
                continue
            assert_virsh_sees(served[host], host, spec.get("domains") or {})
            checked += len(spec.get("domains") or {})
        assert checked == 6
        # web01 was migrated from gpu-a4 to gpu-a1: one libvirt uuid, running on one host only.
        a1, a4 = dominfo(served["gpu-a1"], "web01"), dominfo(served["gpu-a4"], "web01")
        assert a1["UUID"] == a4["UUID"] and (a1["State"], a4["State"]) == ("running", "shut off")


def test_malformed_node_file_makes_virsh_fail_to_connect(tmp_path, virsh):
    with mounted_fleet(tmp_path, {"h": host_spec(libvirt="malformed", domains={"vm": {"devices": [U1]}})}) as fleet:
        uri = uris(tmp_path, fleet.directory)["h"]
        with open(os.path.join(fleet.host_root("h"), "etc/libvirt/mdev-sim.xml"), "rb") as handle:
            with pytest.raises(ET.ParseError):
                ET.fromstring(handle.read())
        proc = run(["virsh", "-r", "-c", uri, "list", "--all"])
        node_file = os.path.join(fleet.host_root("h"), "etc/libvirt/mdev-sim.xml")
    assert proc.returncode != 0 and "failed to connect to the hypervisor" in proc.stderr
    assert "%s:" % node_file in proc.stderr and "Premature end of data" in proc.stderr    # libxml2's parse error


def test_refused_libvirt_makes_virsh_fail_to_connect_without_leaving_the_machine(tmp_path, virsh):
    require(["unshare"])
    with mounted_fleet(tmp_path, {"h": host_spec(libvirt="refused", domains={"vm": {}})}) as fleet:
        uri = uris(tmp_path, fleet.directory)["h"]
        assert uri.startswith("qemu+unix:///system?socket=")
        assert not os.path.exists(os.path.join(fleet.host_root("h"), "etc/libvirt"))
        # In a network namespace of its own (a loopback that is down): a URI that needed the network
        # would fail on that; this one fails on the local socket, which does not exist.
        proc = run(["unshare", "--net", "virsh", "-r", "-c", uri, "list", "--all"])
    socket = os.path.join(fleet.host_root("h"), "run/libvirt/no-such-sock")
    assert proc.returncode != 0 and "failed to connect to the hypervisor" in proc.stderr
    assert "Failed to connect socket to '%s': No such file or directory" % socket in proc.stderr


def test_mdev_facts_reads_the_example_fleets_vms_and_definitions(tmp_path, virsh):
    from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts import gather_facts
    hosts = dict((h, FLEET[h]) for h in ("gpu-a1", "gpu-a4", "gpu-h1"))
    with mounted_fleet(tmp_path, hosts) as fleet:
        served = uris(tmp_path, fleet.directory)
        facts = dict((h, gather_facts(host_root=fleet.host_root(h), libvirt_uri=served[h], virsh=shutil.which("virsh"), run=run_command))
                     for h in hosts)
    assert all(f["errors"] == [] and f["libvirt"]["available"] for f in facts.values())
    a1, a4, h1 = facts["gpu-a1"], facts["gpu-a4"], facts["gpu-h1"]
    assert sorted(a1["domains"]) == ["cad01", "web01"] and a1["domains"]["web01"]["mdevs"] == [U1]
    assert (a1["devices"][U1]["domain"], a1["devices"][U2]["domain"]) == ("web01", "cad01")
    assert a4["domains"]["web01"]["active"] is False and a4["domains"]["web01"]["persistent"] is True
    assert a4["domains"]["web01"]["uuid"] == a1["domains"]["web01"]["uuid"]
    assert h1["domains"]["ml01"]["vfs"] == [VF] and h1["domains"]["ml01"]["active"] is True
    assert a1["defined"] == {U1: {"parent": T4, "type_id": "nvidia-222", "start": "auto", "active": True, "attrs": [],
                                  "error": None}}
    assert a4["defined"] == {} and a4["mdevctl"]["available"] is True


# -- mdevctl reads the definitions and the simulated sysfs -------------------------------------------

@contextlib.contextmanager
def mdevctl_mount_point():
    """/etc/mdevctl.d, the mount point of the namespaces below: created when the machine has none,
    and removed again, so that the test leaves the machine as it found it."""
    created = not os.path.isdir(ETC_MDEVCTL)
    if created:
        os.mkdir(ETC_MDEVCTL, 0o755)
    try:
        yield
    finally:
        if created:
            os.rmdir(ETC_MDEVCTL)


def run_mdevctl(sys_dir, mdevctl_dir, *args):
    """mdevctl ARGS in a private mount namespace, ``sys_dir`` bound on /sys and ``mdevctl_dir`` on
    /etc/mdevctl.d; the machine's own mounts are untouched (unshare makes the namespace private)."""
    script = 'mount --bind "$1" /sys && mount --bind "$2" /etc/mdevctl.d && shift 2 && exec mdevctl "$@"'
    return run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", sys_dir, mdevctl_dir]
               + list(args))


def mdevctl_json(host_root, *args):
    proc = run_mdevctl(os.path.join(host_root, "sys"), os.path.join(host_root, "etc/mdevctl.d"), *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def by_parent(devices):
    """mdevctl's --dumpjson layout: [{parent: [{uuid: {mdev_type, start, attrs}}, ...]}], parents and
    devices sorted; [] when there is none."""
    parents = {}
    for uuid, (parent, document) in sorted(devices.items()):
        parents.setdefault(parent, []).append({uuid: document})
    return [dict(sorted(parents.items()))] if parents else []


def expected_defined(spec):
    return by_parent(dict((u, (d["parent"], {"mdev_type": d["type"], "start": d.get("start", "manual"),
                                             "attrs": d.get("attrs") or []}))
                          for u, d in (spec.get("defined") or {}).items()))


def expected_active(spec):
    """Active devices: parent and type from sysfs; start and attrs from a definition on that parent."""
    devices = {}
    for uuid, dev in (spec.get("devices") or {}).items():
        definition = (spec.get("defined") or {}).get(uuid)
        if definition is None or definition["parent"] != dev["parent"]:
            definition = {}
        devices[uuid] = (dev["parent"], {"mdev_type": dev["type"], "start": definition.get("start", "manual"),
                                         "attrs": definition.get("attrs") or []})
    return by_parent(devices)


DEFINED = {
    U1: {"parent": T4, "type": "nvidia-222", "start": "auto",
         "attrs": [{"frame_rate_limiter": "0"}, {"label": "Grüße \"VDI\" / 2"}]},
    U3: {"parent": "mtty", "type": "mtty-1", "start": "manual"},
    U4: {"parent": T4, "type": "nvidia-223"},           # defined, not created: inactive
}


def test_mdevctl_lists_the_definitions_and_the_active_devices(tmp_path, mdevctl):
    spec = host_spec(defined=DEFINED)
    with mounted_fleet(tmp_path, {"h": spec}) as fleet, mdevctl_mount_point():
        root = fleet.host_root("h")
        defined = mdevctl_json(root, "list", "--defined", "--dumpjson")
        active = mdevctl_json(root, "list", "--dumpjson")
        text = run_mdevctl(os.path.join(root, "sys"), os.path.join(root, "etc/mdevctl.d"), "list").stdout
    assert defined == expected_defined(spec) and len(defined[0][T4]) == 2 and len(defined[0]["mtty"]) == 1
    assert active == expected_active(spec)
    assert active[0][T4][0][U1]["start"] == "auto" and active[0][T4][1][U2] == {
        "mdev_type": "nvidia-223", "start": "manual", "attrs": []}
    assert "%s %s nvidia-222 auto (defined)" % (U1, T4) in text and "%s %s nvidia-223 manual\n" % (U2, T4) in text


def test_mdevctl_reads_the_example_fleet(tmp_path, mdevctl):
    hosts = dict((h, FLEET[h]) for h in ("gpu-a1", "gpu-b1", "gpu-a2"))
    with mounted_fleet(tmp_path, hosts) as fleet, mdevctl_mount_point():
        for host, spec in hosts.items():
            assert mdevctl_json(fleet.host_root(host), "list", "--defined", "--dumpjson") == expected_defined(spec)
            assert mdevctl_json(fleet.host_root(host), "list", "--dumpjson") == expected_active(spec)
    assert expected_defined(FLEET["gpu-a1"]) == [{T4: [{U1: {"mdev_type": "nvidia-222", "start": "auto", "attrs": []}}]}]


@pytest.mark.parametrize("errno_name", ["EIO", "EACCES"])
def test_faulted_definition_gives_readers_the_errno(tmp_path, mdevctl, errno_name):
    path = "/etc/mdevctl.d/%s/%s" % (T4, U1)
    spec = host_spec(defined=DEFINED, faults=[{"path": path, "errno": errno_name}])
    code = getattr(errno, errno_name)
    with mounted_fleet(tmp_path, {"h": spec}) as fleet, mdevctl_mount_point():
        root = fleet.host_root("h")
        with pytest.raises(OSError) as exc:
            with open(root + path, "rb") as handle:
                handle.read()
        proc = run_mdevctl(os.path.join(root, "sys"), os.path.join(root, "etc/mdevctl.d"), "list", "--defined")
        with open(os.path.join(root, "etc/mdevctl.d/mtty", U3), "rb") as handle:
            assert json.loads(handle.read().decode("utf-8"))["mdev_type"] == "mtty-1"    # only that file is faulted
    assert exc.value.errno == code
    assert proc.returncode != 0 and "(os error %d)" % code in proc.stderr


def test_files_mdevctl_define_writes_are_the_files_served(tmp_path, mdevctl):
    spec = host_spec(defined=DEFINED)
    written = tempfile.mkdtemp(prefix="mdevctl-d-", dir=str(tmp_path))
    for script_dir in ("scripts.d/callouts", "scripts.d/notifiers"):
        os.makedirs(os.path.join(written, script_dir))
    with mounted_fleet(tmp_path, {"h": spec}) as fleet, mdevctl_mount_point():
        sys_dir = os.path.join(fleet.host_root("h"), "sys")
        for uuid, definition in DEFINED.items():
            args = ["define", "--uuid", uuid, "--parent", definition["parent"], "--type", definition["type"]]
            proc = run_mdevctl(sys_dir, written, *(args + (["--auto"] if definition.get("start") == "auto" else [])))
            assert proc.returncode == 0, proc.stderr
            for attr in definition.get("attrs") or []:
                (name, value), = attr.items()
                proc = run_mdevctl(sys_dir, written, "modify", "--uuid", uuid, "--addattr", name, "--value", value)
                assert proc.returncode == 0, proc.stderr
        served = os.path.join(fleet.host_root("h"), "etc/mdevctl.d")
        # three files, the directories of their two parents and scripts.d with its two directories
        assert tree(served) == tree(written) and len(tree(served)) == len(DEFINED) + 5
        # and the listing of what mdevctl wrote is the listing of what the simulator serves
        assert mdevctl_json(fleet.host_root("h"), "list", "--defined", "--dumpjson") == expected_defined(spec)


def tree(top):
    """Every path under ``top``: directories as None, files as (bytes, size that stat reports)."""
    found = {}
    for directory, dirs, files in os.walk(top):
        for name in dirs:
            found[os.path.relpath(os.path.join(directory, name), top)] = None
        for name in files:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, top)] = (handle.read(), os.stat(path).st_size)
    return found


def test_materialized_tree_holds_the_same_files():
    from mdev_sim.model import HostModel   # pylint: disable=import-error
    spec = copy.deepcopy(host_spec(defined=DEFINED, domains={"vm": {"devices": [U1]}}))
    model = HostModel("h", spec)
    target = tempfile.mkdtemp(prefix="mdev-sim-plain-")
    try:
        model.materialize(target)
        for path in ("etc/libvirt/mdev-sim.xml", "etc/mdevctl.d/%s/%s" % (T4, U1), "etc/mdevctl.d/mtty/%s" % U3):
            with open(os.path.join(target, path), "rb") as handle:
                assert handle.read() == model.entries[path].content()
        assert os.path.isdir(os.path.join(target, "etc/mdevctl.d/scripts.d/notifiers"))
    finally:
        shutil.rmtree(target)
