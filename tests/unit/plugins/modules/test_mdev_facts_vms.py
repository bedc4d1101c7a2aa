# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mdev_facts' libvirt and mdevctl subsets: the VMs through the real virsh and libvirt's test driver,
mdevctl's definitions from files on disk, and every way either can fail."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils import basic

from ansible_collections.vfio.mdev_migration.plugins.modules import mdev_facts
from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts_libvirt import LibvirtReader, hostdevs
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.module_runner import fail_module, run_module
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.simulator import require
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.sysfs_tree import (
    PCI,
    Link,
    build_host,
    mdev_type,
    pci_parent,
)

UUID1 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"
UUID2 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e02"
UUID3 = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e03"
VF = "0000:41:00.4"
PARENT = "0000:3b:00.0"


@pytest.fixture
def virsh():
    """These tests read VMs through the real virsh: missing, it is a failure unless skips are allowed."""
    require(["virsh"], fuse=False)


def domain(name, uuid, mdevs=(), pci=(), runstate=None, transient=False, extra_devices=""):
    hostdev = "".join(
        "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='%s'/></source></hostdev>" % u
        for u in mdevs)
    for bdf in pci:
        dom, bus, rest = bdf.split(":")
        slot, func = rest.split(".")
        hostdev += ("<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x%s' bus='0x%s' "
                    "slot='0x%s' function='0x%s'/></source></hostdev>" % (dom, bus, slot, func))
    extra = "<test:runstate>%d</test:runstate>" % runstate if runstate else ""
    extra += "<test:transient/>" if transient else ""
    return ("<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>%s</name><uuid>%s</uuid>"
            "<memory>65536</memory><os><type>hvm</type></os>%s<devices>%s%s</devices></domain>"
            % (name, uuid, extra, hostdev, extra_devices))


def host_with_vms(tmp_path, domains_xml, definitions=None):
    """A host root with one T4 (two devices) and a VF, its libvirt test-driver file, mdevctl files."""
    spec = pci_parent(PARENT)
    spec.update(mdev_type(PARENT, "nvidia-222", "GRID T4-2Q", "5"))
    for uuid in (UUID1, UUID2):
        spec["%s/%s/%s/mdev_type" % (PCI, PARENT, uuid)] = Link("%s/%s/mdev_supported_types/nvidia-222" % (PCI, PARENT))
        spec["bus/mdev/devices/%s" % uuid] = Link("%s/%s/%s" % (PCI, PARENT, uuid))
    gpu = "%s/0000:41:00.0" % PCI
    spec.update({k: v for k, v in pci_parent("0000:41:00.0", device="2331").items() if not k.startswith("class/")})
    spec["bus/pci/devices/%s" % VF] = Link("%s/%s" % (PCI, VF))
    spec["%s/%s/physfn" % (PCI, VF)] = Link(gpu)
    spec["%s/%s/nvidia/current_vgpu_type" % (PCI, VF)] = "1428"
    spec["%s/%s/nvidia/creatable_vgpu_types" % (PCI, VF)] = "ID : vGPU Name\n"
    extra = {"etc/libvirt/node.xml": "<node>%s</node>\n" % "".join(domains_xml)}
    for relpath, content in (definitions or {}).items():
        extra["etc/mdevctl.d/" + relpath] = content
    root = build_host(tmp_path / "h", spec, extra=extra)
    return root, "test://%s/etc/libvirt/node.xml" % root


def definition(mdev_type="nvidia-222", start="auto", attrs=()):
    return json.dumps({"mdev_type": mdev_type, "start": start, "attrs": list(attrs)}, indent=2)


def facts_of(root, uri, **args):
    return run_module(mdev_facts, dict(host_root=root, libvirt_uri=uri, **args))["ansible_facts"]["mdev"]


# -- libvirt ------------------------------------------------------------------------------------

def test_vms_and_their_devices_through_the_real_virsh(tmp_path, virsh):
    usb = "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>"
    nic = ("<interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0x5e' slot='0x02' "
           "function='0x1'/></source></interface>")
    root, uri = host_with_vms(tmp_path, [
        domain("web01", "6695eb01-f6a4-8304-79aa-97f2502e193f", mdevs=[UUID1.upper()], pci=[VF]),
        domain("gpu-and-more", "6695eb01-f6a4-8304-79aa-97f2502e1943", mdevs=[UUID2], pci=[VF, "0000:02:00.0"],
               extra_devices=usb + nic),
        domain("db 02", "6695eb01-f6a4-8304-79aa-97f2502e1940", runstate=3),
        domain("old", "6695eb01-f6a4-8304-79aa-97f2502e1941", mdevs=[UUID1], runstate=5),
        domain("scratch", "6695eb01-f6a4-8304-79aa-97f2502e1942", transient=True),
    ])
    facts = facts_of(root, uri)
    assert facts["libvirt"] == {"uri": uri, "available": True, "error": None}
    assert facts["domains"]["web01"] == {
        "uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f", "state": "running", "active": True, "persistent": True,
        "mdevs": [UUID1], "vfs": [VF], "other_hostdevs": []}
    # Nothing the VM holds goes unseen: a PCI device that is not one of this host's VFs, a USB
    # device, an SR-IOV NIC given as <interface type='hostdev'>.
    assert facts["domains"]["gpu-and-more"]["other_hostdevs"] == [
        "pci 0000:02:00.0 (not a vendor-VFIO VF of this host)", "pci 0000:5e:02.1 (not a vendor-VFIO VF of this host)",
        "hostdev usb"]
    assert facts["domains"]["db 02"]["state"] == "paused" and facts["domains"]["db 02"]["active"] is True
    assert facts["domains"]["old"]["active"] is False and facts["domains"]["old"]["state"] == "shut off"
    assert facts["domains"]["scratch"]["persistent"] is False
    # A shut-off VM's definition does not hold its device: only running (or paused) VMs do.
    assert facts["devices"][UUID1]["domain"] == "web01" and facts["devices"][UUID2]["domain"] == "gpu-and-more"
    assert facts["errors"] == []


def test_vfs_are_unknown_when_vendor_vfio_is_not_gathered(tmp_path, virsh):
    root, uri = host_with_vms(tmp_path, [domain("web01", "6695eb01-f6a4-8304-79aa-97f2502e193f", pci=[VF])])
    facts = facts_of(root, uri, gather_subset=["libvirt"])
    assert facts["domains"]["web01"]["vfs"] is None and facts["devices"] == {}


def test_missing_virsh_is_recorded_and_the_rest_stands(tmp_path, monkeypatch):
    root, uri = host_with_vms(tmp_path, [domain("web01", "6695eb01-f6a4-8304-79aa-97f2502e193f", mdevs=[UUID1])])
    real = basic.AnsibleModule.get_bin_path
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, *a, **k: None if name == "virsh" else real(self, name, *a, **k))
    facts = facts_of(root, uri)
    assert facts["libvirt"]["available"] is False and "virsh not found" in facts["libvirt"]["error"]
    assert facts["domains"] == {}
    assert [e["errno"] for e in facts["errors"]] == ["ENOENT"]
    # Which VM holds a device is unknown, not "none": the key is left out.
    assert "domain" not in facts["devices"][UUID1]
    assert facts["parents"][PARENT]["types"]["nvidia-222"]["available_instances"] == 5


@pytest.mark.parametrize("uri", ["qemu+unix:///system?socket=/nonexistent/libvirt-sock-ro", "test:///nonexistent.xml"])
def test_refused_connection_is_recorded(tmp_path, uri, virsh):
    root = host_with_vms(tmp_path, [])[0]
    facts = facts_of(root, uri)
    assert facts["libvirt"]["available"] is False and uri in facts["libvirt"]["error"]
    assert [(e["path"], e["errno"]) for e in facts["errors"]] == [(uri, "ECONNREFUSED")]
    assert facts["domains"] == {} and sorted(facts["devices"]) == [UUID1, UUID2]


def test_malformed_test_driver_file_is_a_refused_connection(tmp_path, virsh):
    root, uri = host_with_vms(tmp_path, ["<domain type='test'><name>web01"])
    facts = facts_of(root, uri)
    assert facts["libvirt"]["available"] is False and facts["errors"][0]["errno"] == "ECONNREFUSED"


def fake_virsh(outputs):
    """A run_command stand-in answering virsh's two calls with ``outputs`` (rc, stdout)."""
    calls = []

    def run(args, environ_update=None):
        calls.append(args)
        command = args[-1]
        if command.startswith("list"):
            return outputs["list"]
        marker = command.split(" ; ")[1].split(" ", 1)[1]
        return outputs["batch"](marker)
    return run, calls


def test_malformed_domain_xml_is_recorded_for_that_domain_only():
    good = "<domain><name>a</name><devices><hostdev mode='subsystem' type='mdev'><source><address uuid='%s'/></source></hostdev></devices></domain>" % UUID1
    info = "Id: 1\nName: %s\nUUID: %s\nState: running\nPersistent: yes\n"
    run, calls = fake_virsh({
        "list": (0, "u-1\nu-2\n", ""),
        "batch": lambda m: (0, info % ("a", "u-1") + m + good + m + info % ("b", "u-2") + m + "<domain><name>b" + m, ""),
    })
    reader = LibvirtReader("test:///x", "/usr/bin/virsh", run)
    libvirt, domains = reader.read([])
    assert list(domains) == ["a"] and domains["a"]["mdevs"] == [UUID1]
    assert [e["errno"] for e in reader.errors] == ["EINVAL"] and "domain u-2" in reader.errors[0]["message"]
    assert libvirt["available"] is True and "does not parse" in libvirt["error"]
    # Two virsh runs whatever the number of VMs, each read-only.
    assert len(calls) == 2 and all(call[1] == "-r" for call in calls)


def test_many_domains_are_read_in_chunks_below_the_argument_limit():
    uuids = ["6695eb01-f6a4-8304-79aa-%012x" % n for n in range(450)]
    xml = "<domain><name>vm-%s</name></domain>"
    info = "Id: 1\nName: x\nUUID: %s\nState: running\nPersistent: yes\n"

    def batch(marker, command):
        asked = [part.split()[1] for part in command.split(" ; ") if part.startswith("dumpxml")]
        return 0, "".join(info % u + marker + xml % u + marker for u in asked), ""
    calls = []

    def run(args, environ_update=None):
        calls.append(args)
        if args[-1].startswith("list"):
            return 0, "\n".join(uuids) + "\n", ""
        return batch(args[-1].split(" ; ")[1].split(" ", 1)[1], args[-1])
    libvirt, domains = LibvirtReader("test:///x", "/usr/bin/virsh", run).read([])
    assert len(domains) == 450 and libvirt["error"] is None
    assert len(calls) == 1 + 3 and max(len(call[-1]) for call in calls) < 128 * 1024


def test_name_comes_from_the_xml_not_from_dominfo():
    run = fake_virsh({
        "list": (0, "u-1\n", ""),
        "batch": lambda m: (0, "Id: 1\nName: web01\nState: running\nPersistent: yes\n" + m
                            + "<domain><name>  web01</name></domain>" + m, ""),
    })[0]
    assert list(LibvirtReader("test:///x", "/usr/bin/virsh", run).read([])[1]) == ["  web01"]


def test_domain_gone_between_list_and_read_is_recorded():
    run = fake_virsh({"list": (0, "u-1\n", ""), "batch": lambda m: (0, m + m, "error: failed to get domain 'u-1'\n")})[0]
    reader = LibvirtReader("test:///x", "/usr/bin/virsh", run)
    libvirt, domains = reader.read(None)
    assert domains == {} and reader.errors[0]["errno"] == "EIO" and "failed to get domain" in libvirt["error"]


@pytest.mark.parametrize("xml", ["", "<node/>", "not xml", "<domain><devices><hostdev type='mdev'><source><address/>"])
def test_hostdevs_refuses_what_is_not_a_domain(xml):
    with pytest.raises(ValueError):
        hostdevs(xml)


# -- mdevctl ------------------------------------------------------------------------------------

def test_definitions_with_start_active_and_attrs(tmp_path):
    root, uri = host_with_vms(tmp_path, [], {
        "%s/%s" % (PARENT, UUID1): definition(start="auto"),
        "%s/%s" % (PARENT, UUID3): definition(start="auto", attrs=[{"foo": "bar"}]),
        "0000:3c:00.0/%s" % UUID2: definition(mdev_type="nvidia-223", start="manual"),
        "%s/%s~" % (PARENT, UUID2): "an editor's backup: not a definition mdevctl reads",
        "scripts.d/callouts/hook": "#!/bin/sh\n",
    })
    facts = facts_of(root, uri)
    assert facts["mdevctl"] == {"config_dir": root + "/etc/mdevctl.d", "available": True, "error": None,
                                "unreadable_parents": [], "duplicates": []}
    assert facts["defined"] == {
        UUID1: {"parent": PARENT, "type_id": "nvidia-222", "start": "auto", "active": True, "attrs": [], "error": None},
        UUID3: {"parent": PARENT, "type_id": "nvidia-222", "start": "auto", "active": False,
                "attrs": [{"foo": "bar"}], "error": None},
        # UUID2 exists, but on another parent with another type: not this definition, as mdevctl sees it
        UUID2: {"parent": "0000:3c:00.0", "type_id": "nvidia-223", "start": "manual", "active": False, "attrs": [],
                "error": None},
    }
    assert facts["errors"] == []


@pytest.mark.parametrize("content, errno_", [
    (None, "EISDIR"),                                           # a directory where the file should be
    ("{not json", "EINVAL"),
    ('{"mdev_type": "nvidia-222", "start": "sometimes", "attrs": []}', "EINVAL"),
    ('{"start": "auto", "attrs": []}', "EINVAL"),
    ('{"mdev_type": "nvidia-222", "start": "auto", "attrs": {"a": "b"}}', "EINVAL"),
    ('["nvidia-222"]', "EINVAL"),
])
def test_unreadable_definition_keeps_its_entry_with_the_errno(tmp_path, content, errno_):
    root, uri = host_with_vms(tmp_path, [], {"%s/%s" % (PARENT, UUID3): content,
                                             "%s/%s" % (PARENT, UUID1): definition()})
    facts = facts_of(root, uri)
    assert facts["defined"][UUID3] == {"parent": PARENT, "type_id": None, "start": None, "active": None,
                                       "attrs": None, "error": errno_}
    assert facts["defined"][UUID1]["type_id"] == "nvidia-222"
    assert [(e["path"].rsplit("/", 1)[1], e["errno"]) for e in facts["errors"]] == [(UUID3, errno_)]


@pytest.mark.parametrize("name", [UUID3.replace("-", ""), "{%s}" % UUID3, "urn:uuid:%s" % UUID3, UUID3.upper()])
def test_every_file_name_mdevctl_reads_as_a_uuid_is_a_definition(tmp_path, name):
    root, uri = host_with_vms(tmp_path, [], {"%s/%s" % (PARENT, name): definition(start="auto")})
    facts = facts_of(root, uri)
    assert list(facts["defined"]) == [UUID3] and facts["defined"][UUID3]["start"] == "auto"


def test_one_uuid_under_two_parents_keeps_both(tmp_path):
    root, uri = host_with_vms(tmp_path, [], {"%s/%s" % (PARENT, UUID3): definition(start="auto"),
                                             "0000:5e:00.0/%s" % UUID3: definition(start="manual")})
    facts = facts_of(root, uri)
    assert facts["defined"][UUID3]["parent"] == PARENT and facts["defined"][UUID3]["start"] == "auto"
    assert [(d["uuid"], d["parent"], d["start"]) for d in facts["mdevctl"]["duplicates"]] == [
        (UUID3, "0000:5e:00.0", "manual")]


def test_no_configuration_directory_means_no_definitions(tmp_path):
    root, uri = host_with_vms(tmp_path, [])
    facts = facts_of(root, uri)
    assert facts["mdevctl"]["available"] is False and facts["mdevctl"]["error"] is None
    assert facts["defined"] == {} and facts["errors"] == []


def test_explicit_configuration_directory_must_exist(tmp_path):
    root, uri = host_with_vms(tmp_path, [])
    result = fail_module(mdev_facts, dict(host_root=root, libvirt_uri=uri, mdevctl_config_dir=str(tmp_path / "typo")))
    assert "mdevctl_config_dir" in result["msg"] and "typo" in result["msg"]


def test_definition_file_linking_out_of_the_directory_is_not_followed(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(definition())
    root, uri = host_with_vms(tmp_path, [], {"%s/%s" % (PARENT, UUID3): Link(str(outside))})
    facts = facts_of(root, uri)
    assert facts["defined"][UUID3]["type_id"] is None and facts["defined"][UUID3]["error"] == "ELOOP"


def test_subsets_left_out_are_null(tmp_path):
    root, uri = host_with_vms(tmp_path, [domain("web01", "6695eb01-f6a4-8304-79aa-97f2502e193f", mdevs=[UUID1])],
                              {"%s/%s" % (PARENT, UUID1): definition()})
    facts = facts_of(root, uri, gather_subset=["!libvirt", "!mdevctl"])
    assert facts["libvirt"] is None and facts["domains"] == {} and facts["mdevctl"] is None and facts["defined"] == {}
    assert "domain" not in facts["devices"][UUID1]
