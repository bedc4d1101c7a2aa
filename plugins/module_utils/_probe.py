# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The target-side version write probe (PRIVATE to the collection).

Two phases, so that bad input never causes a write: ``plan`` validates every request and
resolves every attribute path (refusing any that leaves the root) without writing; ``execute``
then reads each planned attribute once and writes the source version into it with exactly one
``write(2)``, and classifies the kernel's answer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import EOUTSIDE, MAX_VALUE_BYTES

VERSION_ATTRIBUTES = ("migration_version", "version")
ATTRIBUTE_CHOICES = ("auto",) + VERSION_ATTRIBUTES

COMPATIBLE = "compatible"
INCOMPATIBLE = "incompatible"
UNSUPPORTED = "unsupported"
ERROR = "error"

# A single path component as sysfs names types and parents: i915-GVTg_V5_4, nvidia-222,
# mtty-1, 0000:3b:00.0, mtty. No separators, no leading dot, at most NAME_MAX.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,254}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

UNSUPPORTED_WRITE_ERRNOS = ("ENOENT", "ENODEV", "EOPNOTSUPP")
PRIVILEGE_ERRNOS = ("EACCES", "EPERM")


class ProbeInputError(ValueError):
    """Input refused before any syscall; the message names the input."""


def _printable(text):
    return "".join(c if " " <= c <= "~" else "\\x%02x" % ord(c) if ord(c) < 256 else "\\u%04x" % ord(c)
                   for c in text[:80])


def validate_version(value, name="source_version"):
    """The version string as bytes to write, or ProbeInputError naming ``name``.

    Printable ASCII, 1 to 4096 bytes, no NUL or newline inside; one trailing newline (as
    ``cat`` output carries) is stripped.
    """
    if not isinstance(value, str):
        raise ProbeInputError("%s must be a string, got %s" % (name, type(value).__name__))
    if value.endswith("\n"):
        value = value[:-1]
    if not value:
        raise ProbeInputError("%s is empty" % name)
    bad = [c for c in value if not " " <= c <= "~"]
    if bad:
        raise ProbeInputError("%s %r contains a character that is not printable ASCII (%r); a migration version is "
                              "printable ASCII without NUL or newline" % (name, _printable(value), bad[0]))
    data = value.encode("ascii")
    if len(data) > MAX_VALUE_BYTES:
        raise ProbeInputError("%s is %d bytes long; a migration version is at most %d bytes"
                              % (name, len(data), MAX_VALUE_BYTES))
    return data


def validate_name(value, name):
    if not isinstance(value, str) or not _NAME.match(value):
        raise ProbeInputError("%s %r is not a single sysfs name (letters, digits, '_', '.', ':', '+', '-'; no '/', "
                              "not starting with '.', at most 255 characters)" % (name, _printable(str(value))))
    return value


def validate_uuid(value, name="device"):
    if not isinstance(value, str) or not _UUID.match(value):
        raise ProbeInputError("%s %r is not an mdev UUID (8-4-4-4-12 hexadecimal digits)" % (name, _printable(str(value))))
    return value.lower()


class PlannedProbe:
    """One attribute to probe with one source version."""

    __slots__ = ("request", "parent", "type_id", "device", "attribute", "relpath", "data", "note")

    def __init__(self, request, parent, type_id, device, attribute, relpath, data, note=None):
        self.request = request
        self.parent = parent
        self.type_id = type_id
        self.device = device
        self.attribute = attribute
        self.relpath = relpath
        self.data = data
        self.note = note     # set when there is nothing to write: why the probe is unsupported


def _pick_attribute(fs, directory, attribute):
    """The attribute to probe in ``directory``: the named one, or for auto the first present."""
    names = VERSION_ATTRIBUTES if attribute == "auto" else (attribute,)
    for name in names:
        if fs.exists(os.path.join(directory, name)):
            return name
    return None


def _check_inside(fs, relpath, what):
    err = fs.resolve(relpath)[1]
    if err is not None:
        raise ProbeInputError("%s: %s %s (%s)" % (what, err.path, err.message, EOUTSIDE))


def plan(fs, requests, attribute="auto"):
    """Validate ``requests`` and resolve what to probe. Writes nothing.

    Each request is a dict with ``source_version`` and either ``type_id`` (with optional
    ``parents``) or ``device``. Raises ProbeInputError on the first bad input.
    """
    if attribute not in ATTRIBUTE_CHOICES:
        raise ProbeInputError("attribute %r is not one of %s" % (attribute, ", ".join(ATTRIBUTE_CHOICES)))
    planned = []
    for index, req in enumerate(requests):
        label = "probes[%d]" % index if len(requests) > 1 else "probe"
        data = validate_version(req.get("source_version"), "%s.source_version" % label if len(requests) > 1
                                else "source_version")
        type_id, device = req.get("type_id"), req.get("device")
        if bool(type_id) == bool(device):
            raise ProbeInputError("%s: give exactly one of type_id or device" % label)
        if device:
            planned.extend(_plan_device(fs, index, validate_uuid(device), data, attribute))
        else:
            validate_name(type_id, "type_id")
            parents = [validate_name(p, "parents[%d]" % i) for i, p in enumerate(req.get("parents") or [])]
            planned.extend(_plan_type(fs, index, type_id, parents, data, attribute))
    for probe in planned:
        if probe.relpath:
            _check_inside(fs, probe.relpath, "%s %s" % ("device" if probe.device else "type_id",
                                                        probe.device or probe.type_id))
    return planned


def _plan_type(fs, index, type_id, parents, data, attribute):
    bus = os.path.join("class", "mdev_bus")
    names = parents
    if not names:
        listed, err = fs.listdir(bus)
        if err is not None:
            raise ProbeInputError("sysfs_root: %s: %s" % (err.path, err.message))
        names = listed
    planned = []
    for parent in names:
        type_dir = os.path.join(bus, parent, "mdev_supported_types", type_id)
        _check_inside(fs, os.path.join(bus, parent), "parent %s" % parent)
        if not fs.exists(type_dir):
            if parents:
                planned.append(PlannedProbe(index, parent, type_id, None, None, None, data,
                                            "parent %s does not offer type %s" % (parent, type_id)))
            continue
        name = _pick_attribute(fs, type_dir, attribute)
        planned.append(PlannedProbe(index, parent, type_id, None, name, os.path.join(type_dir, name) if name else None,
                                    data, None if name else "type %s publishes no %s attribute" % (
                                        type_id, " or ".join(VERSION_ATTRIBUTES) if attribute == "auto" else attribute)))
    if not planned:
        planned.append(PlannedProbe(index, None, type_id, None, None, None, data, "no parent offers type %s" % type_id))
    return planned


def _plan_device(fs, index, uuid, data, attribute):
    dev = os.path.join("bus", "mdev", "devices", uuid)
    _check_inside(fs, dev, "device %s" % uuid)
    if not fs.exists(dev):
        return [PlannedProbe(index, None, None, uuid, None, None, data, "no mdev device %s on this host" % uuid)]
    real = fs.resolve(dev)[0]
    parent = os.path.basename(os.path.dirname(real))
    type_id, err = fs.link_name(os.path.join(dev, "mdev_type"))
    if err is not None:
        raise ProbeInputError("device %s: %s %s" % (uuid, err.path, err.message))
    planned = []
    # The device-level attribute (RFC v5) folds type and aggregation into the string; probe it
    # where it exists. The type-level one is reached through the device's mdev_type link.
    name = _pick_attribute(fs, dev, attribute)
    if name:
        planned.append(PlannedProbe(index, parent, type_id, uuid, name, os.path.join(dev, name), data))
    type_dir = os.path.join(dev, "mdev_type")
    name = _pick_attribute(fs, type_dir, attribute)
    planned.append(PlannedProbe(index, parent, type_id, uuid, name, os.path.join(type_dir, name) if name else None,
                                data, None if name else "type %s of device %s publishes no version attribute"
                                % (type_id, uuid)))
    return planned


def _classify_write(written, err, length):
    if err is None:
        if written == length:
            return COMPATIBLE, None, "the driver accepted the source version"
        return ERROR, None, "short write: the kernel took %d of %d bytes, which is not an acceptance" % (written, length)
    if err.errno == "EINVAL":
        return INCOMPATIBLE, err.errno, "the driver refused the source version (%s)" % err.message
    if err.errno in UNSUPPORTED_WRITE_ERRNOS:
        return UNSUPPORTED, err.errno, "migration is not supported here (%s)" % err.message
    if err.errno in PRIVILEGE_ERRNOS:
        return ERROR, err.errno, ("permission denied writing %s: the probe needs root, use privilege escalation "
                                  "(become: true)" % err.path)
    if err.errno == EOUTSIDE:
        return ERROR, err.errno, err.message
    return ERROR, err.errno, "%s writing %s" % (err.message, err.path)


def execute(fs, planned):
    """Probe each planned attribute: one read, then one write. Returns the result records."""
    results = []
    for probe in planned:
        record = {
            "probe": probe.request,
            "parent": probe.parent,
            "type_id": probe.type_id,
            "device": probe.device,
            "attribute": probe.attribute,
            "path": fs.abspath(probe.relpath) if probe.relpath else None,
            "source_version": probe.data.decode("ascii"),
            "verdict": UNSUPPORTED,
            "errno": None,
            "written": None,
            "message": probe.note,
        }
        if probe.relpath is None:
            record["errno"] = "ENOENT"
            results.append(record)
            continue
        # The RFC: an errno on read means this type does not support migration. Do not write then.
        err = fs.read(probe.relpath)[1]
        if err is not None:
            record.update(errno=err.errno, message="reading %s failed (%s): migration unsupported" % (
                record["path"], err.message))
            results.append(record)
            continue
        written, err = fs.write_once(probe.relpath, probe.data)
        verdict, errno_, message = _classify_write(written, err, len(probe.data))
        record.update(verdict=verdict, errno=errno_, written=written, message=message)
        results.append(record)
    return results


def summarize(requests, results):
    """Per request: compatible parents (every attribute probed on that parent accepted)."""
    summary = []
    for index, req in enumerate(requests):
        mine = [r for r in results if r["probe"] == index]
        by_parent = {}
        for r in mine:
            if r["parent"] is not None:
                by_parent.setdefault(r["parent"], []).append(r["verdict"])
        good = sorted(p for p, verdicts in by_parent.items() if verdicts and all(v == COMPATIBLE for v in verdicts))
        summary.append({
            "source_version": validate_version(req["source_version"]).decode("ascii"),
            "type_id": req.get("type_id") or (mine[0]["type_id"] if mine else None),
            "device": req.get("device"),
            "compatible": bool(good),
            "compatible_parents": good,
        })
    return summary
