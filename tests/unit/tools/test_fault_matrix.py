# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault matrix: every attribute mdev_facts reads x every fault the simulator injects.

One simulated host per fault kind; on it, one parent (or VF) per attribute, each with that
attribute faulted. For every cell: the module task does not fail, the fault is in ``errors``
with its path and errno (or, where the ABI says so, is read as absent or as "migration
unsupported"), and every other fact equals the same host gathered without faults.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest

from ansible_collections.vfio.mdev_migration.plugins.modules import mdev_facts
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.module_runner import (  # noqa: F401 pylint: disable=unused-import
    patch_exit,
    run_module,
)
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.simulator import mounted_fleet, needs_fuse

pytestmark = needs_fuse

PCI = "devices/pci0000:00"
DELAY = 3.0

# attribute -> (kind, path template). Templates see bdf, drv, tid, uuid of the cell's parent.
ATTRIBUTES = {
    "vendor": ("str", "{pdir}/vendor"),
    "device": ("str", "{pdir}/device"),
    "subsystem_vendor": ("str", "{pdir}/subsystem_vendor"),
    "subsystem_device": ("str", "{pdir}/subsystem_device"),
    "revision": ("str", "{pdir}/revision"),
    "numa_node": ("int_opt", "{pdir}/numa_node"),
    "module_version": ("str_opt", "module/{drv}/version"),
    "name": ("str_opt", "{tdir}/name"),
    "description": ("str_opt", "{tdir}/description"),
    "device_api": ("str", "{tdir}/device_api"),
    "available_instances": ("int", "{tdir}/available_instances"),
    "type_version": ("version", "{tdir}/migration_version"),
    "device_version": ("version", "{pdir}/{uuid}/migration_version"),
    "parent_link": ("link", "class/mdev_bus/{bdf}"),
    "driver_link": ("link", "{pdir}/driver"),
    "mdev_type_link": ("link", "{pdir}/{uuid}/mdev_type"),
    "device_link": ("link", "bus/mdev/devices/{uuid}"),
    "creatable_vgpu_types": ("str", "bus/pci/devices/{vf}/nvidia/creatable_vgpu_types"),
    "current_vgpu_type": ("int", "bus/pci/devices/{vf}/nvidia/current_vgpu_type"),
    "physfn_link": ("link", "bus/pci/devices/{vf}/physfn"),
    "taint": ("taint", "module/{drv}/taint"),
    # Files of the host root, outside sysfs (absolute fault paths).
    "osrelease": ("ident", "/proc/sys/kernel/osrelease"),
    "boot_id": ("ident", "/proc/sys/kernel/random/boot_id"),
    "machine_id": ("ident", "/etc/machine-id"),
}
IDENT_KEYS = {"osrelease": "kernel_release", "boot_id": "boot_id", "machine_id": "machine_id"}

FAULTS = {
    "EIO": {"errno": "EIO"},
    "ENODEV": {"errno": "ENODEV"},
    "EACCES": {"errno": "EACCES"},
    "EAGAIN": {"errno": "EAGAIN"},
    "vanish": {"vanish": True},
    "non_utf8": {"value_hex": "c328ff0a"},
    "empty": {"value": ""},
    "exactly_4096": {"value_repeat": {"char": "7", "count": 4096}},
    "over_long": {"value_repeat": {"char": "7", "count": 4097}},
    "non_integer": {"value": "twelve\n"},
    "dangling_link": {"link_to": "../nowhere"},
    "escaping_link": {"link_to": "../../../../../../../../../../../../../etc"},
    "delay": {"delay": DELAY},
}
LINK_FAULTS = ("dangling_link", "escaping_link", "vanish", "delay")


def applies(kind, fault):
    if kind == "link":
        return fault in LINK_FAULTS
    if fault in ("dangling_link", "escaping_link"):
        return False
    if fault == "non_integer":
        return kind in ("int", "int_opt")
    return True


def cells():
    return [(a, f) for f in FAULTS for a, (kind, _p) in ATTRIBUTES.items() if applies(kind, f)]


def layout(index):
    bdf = "0000:%02x:00.0" % (index + 1)
    drv = "drv%d" % index
    return {"bdf": bdf, "drv": drv, "tid": "%s-1" % drv, "uuid": "00000000-0000-4000-8000-%012d" % index,
            "pdir": "%s/%s" % (PCI, bdf), "tdir": "%s/%s/mdev_supported_types/%s-1" % (PCI, bdf, drv),
            "gpu": "0000:%02x:00.0" % (0x80 + index), "vf": "0000:%02x:00.4" % (0x80 + index)}


def host(fault=None):
    """One parent and one GPU per attribute; with ``fault``, each one's attribute is faulted."""
    # One machine and one boot for every host of the matrix, so that hosts compare field by field.
    spec = {"kernel_release": "6.8.0-matrix", "machine_id": "0f6c2b5e9d8a4b7c8e1f2a3b4c5d6e7f",
            "boot_id": "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b", "parents": {}, "devices": {},
            "vendor_vfio": {"gpus": {}}, "faults": []}
    for index, attribute in enumerate(ATTRIBUTES):
        ids = layout(index)
        spec["parents"][ids["bdf"]] = {
            "pci": {"vendor_id": "10de", "device_id": "1e%02x" % index, "subsystem_vendor_id": "10de",
                    "subsystem_device_id": "12a2", "revision": "a1"},
            "driver": ids["drv"], "driver_version": "1.%d" % index, "numa_node": index % 2,
            "types": {ids["tid"]: {"name": "T%d" % index, "description": "d%d" % index, "available_instances": 3,
                                   "migration": {"attribute": "migration_version", "version": "v%d" % index}}}}
        spec["devices"][ids["uuid"]] = {"parent": ids["bdf"], "type": ids["tid"],
                                        "migration": {"attribute": "migration_version", "version": "dv%d" % index}}
        spec["vendor_vfio"]["gpus"][ids["gpu"]] = {
            "pci": {"vendor_id": "10de", "device_id": "23%02x" % index}, "driver": "nvgpu%d" % index,
            "driver_version": "580.%d" % index, "numa_node": 0,
            "vfs": {ids["vf"]: {"current_type": 0, "creatable_types": {"14%02d" % index: "H100-%dC" % index}}}}
        if fault is not None and applies(ATTRIBUTES[attribute][0], fault):
            spec["faults"].append(dict(FAULTS[fault], path=ATTRIBUTES[attribute][1].format(**ids)))
    return spec


def gather(root):
    from mdev_sim.cli import libvirt_uri   # pylint: disable=import-error
    # The host's VMs from its own libvirt node file (none here), as the inventory's libvirt_uri gives it.
    result = run_module(mdev_facts, {"host_root": root, "libvirt_uri": libvirt_uri(root, "served")})
    assert result["changed"] is False and "failed" not in result
    return result["ansible_facts"]["mdev"]


ERRNO_OF = {"vanish": "ENOENT", "non_utf8": "EILSEQ", "over_long": "EOVERFLOW", "non_integer": "EINVAL",
            "dangling_link": "ENOENT", "escaping_link": "EXDEV"}
PCI_KEYS = {"vendor": "vendor_id", "device": "device_id", "subsystem_vendor": "subsystem_vendor_id",
            "subsystem_device": "subsystem_device_id", "revision": "revision"}


def apply_cell(want, attribute, fault, ids):
    """Change ``want`` (the clean host's facts) as this cell's fault must; return its error or None.

    The rules: an unreadable mandatory attribute is null and an error; an optional one that is
    gone is simply absent; a version attribute whose read fails means "migration unsupported"
    (an error too, except ENODEV, the ABI's own answer); a broken device link drops what it
    points to; a delay changes nothing.
    """
    kind, template = ATTRIBUTES[attribute]
    if template.startswith("/"):
        path = want["host_root"] + template
    else:
        path = os.path.join(want["sysfs_root"], template.format(**ids))
    parent = want["parents"].get(ids["bdf"])
    mtype = parent["types"][ids["tid"]] if parent else None
    vf = want["vendor_vfio"].get(ids["vf"])
    errno_ = FAULTS[fault].get("errno") or ERRNO_OF.get(fault)
    if fault == "delay":
        return None
    value = {"empty": "", "exactly_4096": "7" * 4096}.get(fault)
    if value is not None and kind in ("int", "int_opt"):
        value, errno_ = None, "EINVAL"
    if kind == "version":
        # Absent: no attribute. ENODEV: the RFC's "unsupported". A value the probe would refuse
        # (empty): EINVAL, unknown. Any other failure: unknown, with its errno.
        mig = mtype["migration"] if attribute == "type_version" else want["devices"][ids["uuid"]]["migration"]
        if fault == "vanish":
            mig.update(attribute=None, version=None, supported=None, errno=None)
            return None
        if value == "":
            mig.update(version=None, supported=None, errno="EINVAL")
            return (path, "EINVAL")
        if value is not None:
            mig["version"] = value
            return None
        if errno_ == "ENODEV":
            mig.update(version=None, supported=False, errno=errno_)
            return None
        mig.update(version=None, supported=None, errno=errno_)
        return (path, errno_)
    if kind == "ident":
        # Identity files of a host root other than /: no fallback, any bad value is null.
        key = IDENT_KEYS[attribute]
        want[key] = None
        return (path, "EINVAL" if value is not None else errno_)
    if kind == "taint":
        if fault == "vanish":
            parent["driver_in_tree"] = None
            return None
        if value is not None:
            parent["driver_in_tree"] = "O" not in value
            return None
        parent["driver_in_tree"] = None
        return (path, errno_)
    if kind == "link":
        gone = fault == "vanish"
        if attribute == "parent_link":
            del want["parents"][ids["bdf"]]
        elif attribute == "device_link":
            del want["devices"][ids["uuid"]]
        elif attribute == "mdev_type_link":
            want["devices"][ids["uuid"]]["type_id"] = None
        elif attribute == "driver_link":
            parent.update(driver=None, driver_module=None, driver_version=None, driver_in_tree=None)
            return None if gone else (path, errno_)
        elif attribute == "physfn_link":
            if gone:    # no physfn link at all: the VF stands for itself, no driver bound to it
                vf.update(physfn=None, driver=None, driver_module=None, driver_version=None, driver_in_tree=None)
                return None
            vf.update(physfn=None, pci=None, numa_node=None, subsystem=None, driver=None, driver_module=None,
                      driver_version=None, driver_in_tree=None)
        return (path, errno_)
    if fault == "vanish" and kind in ("str_opt", "int_opt"):
        value = None
        errno_ = None
    elif attribute == "current_vgpu_type" and fault == "vanish":
        del want["vendor_vfio"][ids["vf"]]          # not a vendor-VFIO VF any more
        return None
    elif value is not None:
        errno_ = None
    if attribute in PCI_KEYS:
        parent["pci"][PCI_KEYS[attribute]] = value
    elif attribute == "numa_node":
        parent["numa_node"] = value
    elif attribute == "module_version":
        parent["driver_version"] = value
    elif attribute in ("name", "description", "device_api", "available_instances"):
        mtype[attribute] = value
    elif attribute == "creatable_vgpu_types":
        vf["creatable_types"] = {}
    elif attribute == "current_vgpu_type":
        vf["current_type"] = value
    return (path, errno_) if errno_ else None


def cell_slice(facts, ids, attribute):
    """What one cell can change."""
    if attribute in IDENT_KEYS:
        return facts[IDENT_KEYS[attribute]]
    return (facts["parents"].get(ids["bdf"]), facts["devices"].get(ids["uuid"]), facts["vendor_vfio"].get(ids["vf"]))


def host_name(fault):
    return "f-%s" % fault.replace("_", "-").lower()


def test_fault_matrix(tmp_path, capsys):
    hosts = {"clean": host()}
    hosts.update({host_name(fault): host(fault) for fault in FAULTS})
    tried, passed, failures = 0, 0, []
    with mounted_fleet(tmp_path, hosts) as fleet:
        # One host at a time: a module run in process reads its arguments from a global of
        # ansible-core's, so two runs in threads could each read the other's (a host's facts
        # gathered from another host's root).
        gathered = dict((h, gather(fleet.host_root(h))) for h in hosts)
    base = gathered["clean"]
    assert base["errors"] == [] and len(base["parents"]) == len(ATTRIBUTES)
    for fault in FAULTS:
        facts = gathered[host_name(fault)]
        want = copy.deepcopy(dict(base, sysfs_root=facts["sysfs_root"], host_root=facts["host_root"]))
        got_errors = set((e["path"], e["errno"]) for e in facts["errors"])
        wanted_errors = set()
        for index, attribute in enumerate(ATTRIBUTES):
            if not applies(ATTRIBUTES[attribute][0], fault):
                continue
            tried += 1
            ids = layout(index)
            error = apply_cell(want, attribute, fault, ids)
            problems = []
            if error is not None:
                wanted_errors.add(error)
                if error not in got_errors:
                    problems.append("error %r missing from %r" % (error, sorted(got_errors)))
            if cell_slice(want, ids, attribute) != cell_slice(facts, ids, attribute):
                problems.append("expected %r, got %r" % (cell_slice(want, ids, attribute),
                                                         cell_slice(facts, ids, attribute)))
            if problems:
                failures.append("%s x %s: %s" % (attribute, fault, "; ".join(problems)))
            else:
                passed += 1
        # Nothing else changed, and no other error was recorded.
        for key in ("parents", "devices", "vendor_vfio", "kernel_release", "boot_id", "machine_id"):
            if want[key] != facts[key]:
                failures.append("%s: %s differ beyond the faulted cells" % (fault, key))
        if got_errors != wanted_errors:
            failures.append("%s: unexpected errors %r" % (fault, sorted(got_errors - wanted_errors)))
    summary = ("fault matrix: %d cells tried, %d passed (%d attributes x %d faults, where they apply)"
               % (tried, passed, len(ATTRIBUTES), len(FAULTS)))
    with capsys.disabled():
        print("\n" + summary)
    # Test workers' output does not reach the console under ansible-test: leave the line where the
    # test command prints it.
    output = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "output")
    if os.path.isdir(output):
        with open(os.path.join(output, "fault-matrix.txt"), "w") as handle:
            handle.write(summary + "\n")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("fault", ["EIO", "escaping_link"])
def test_nothing_readable_still_no_traceback(tmp_path, fault):
    """A host whose class/mdev_bus cannot be listed at all: facts with the error, no failure."""
    spec = dict(host(), faults=[dict(FAULTS[fault], path="class/mdev_bus", op="readdir")
                                if fault == "EIO" else dict(FAULTS[fault], path="class/mdev_bus/0000:01:00.0")])
    with mounted_fleet(tmp_path, {"h": spec}) as fleet:
        facts = gather(fleet.host_root("h"))
        assert facts["errors"], facts["errors"]
        assert all(set(e) == {"path", "errno", "message"} for e in facts["errors"])
