# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The target-side version write probe (PRIVATE to the collection).

Two phases, so that bad input never causes a write: ``plan`` validates every request and
resolves every attribute path (refusing any that leaves the root) without writing; ``execute``
then reads each planned attribute once and writes the source version into it with exactly one
``write(2)``, and classifies the kernel's answer. The checks of the input and their messages are
in ``_probe_input``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import (  # noqa: F401 pylint: disable=unused-import
    COMPATIBLE,
    ERROR,
    INCOMPATIBLE,
    PRIVILEGE_ERRNOS,
    UNSUPPORTED,
    UNSUPPORTED_READ_ERRNOS,
    UNSUPPORTED_WRITE_ERRNOS,
    VERSION_ATTRIBUTES,
)
from ansible_collections.vfio.mdev_migration.plugins.module_utils._probe_input import (
    check_attribute,
    check_requests,
    is_sysfs_name,
    validate_request,
    validate_version,
)
from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import ELINK, EOUTSIDE, SysfsError

BECOME_HINT = ("the attribute is writable by root only: run the probe with become: true (the migration_gate role: "
               "migration_gate_become: true)")


class PlannedProbe:
    """One attribute to probe with one source version (or why there is none)."""

    __slots__ = ("request", "parent", "type_id", "device", "attribute", "relpath", "shown", "data", "note", "error")

    def __init__(self, request, parent, type_id, device, attribute, relpath, data, note=None, shown=None, error=None):
        self.request = request
        self.parent = parent
        self.type_id = type_id
        self.device = device
        self.attribute = attribute
        self.relpath = relpath      # resolved path of the attribute, no link left in it
        self.shown = shown          # the path as the user would name it (through the links)
        self.data = data
        self.note = note            # set when there is nothing to write: why the probe is unsupported
        self.error = error          # SysfsError when the entry is unusable: an error record, no write


def _pick_attribute(fs, directory, attribute):
    """The attribute to probe in ``directory``: the named one, or for auto the first present.

    A link counts as present (even dangling), so that it is refused when opened rather than
    mistaken for an absent attribute.
    """
    names = VERSION_ATTRIBUTES if attribute == "auto" else (attribute,)
    for name in names:
        path = os.path.join(directory, name)
        if fs.exists(path) or fs.is_link(path):
            return name
    return None


def plan(fs, requests, attribute="auto", itemized=None):
    """Validate ``requests`` and resolve what to probe. Writes nothing.

    Each request is a dict with ``source_version`` and either ``type_id`` (with optional
    ``parents``) or ``device``. Raises ProbeInputError, naming the input, on the first bad one.
    An unusable entry of the host (a dangling or escaping parent or device link, a type
    directory that leaves its parent's ``mdev_supported_types``) is not bad input: it is planned
    as an error record for that entry, and the others are probed. ``itemized`` (default: more
    than one request) names inputs as ``probes[i].<key>``.
    """
    check_attribute(attribute)
    check_requests(requests)
    planned = []
    for index, req in enumerate(requests):
        many = len(requests) > 1 if itemized is None else itemized
        data, device, type_id, parents = validate_request(req, index, many)
        if device is not None:
            planned.extend(_plan_device(fs, index, device, data, attribute))
        else:
            planned.extend(_plan_type(fs, index, type_id, parents, data, attribute))
    return planned


def _entry(fs, link):
    """Resolved relative path of a ``class/mdev_bus`` or ``bus/mdev/devices`` entry:
    ``(real, None)``, ``(None, None)`` when absent, ``(None, SysfsError)`` when unusable."""
    if not fs.is_link(link) and not fs.exists(link):
        return None, None
    name, err = fs.link_name(link) if fs.is_link(link) else (None, None)
    if err is not None:
        return None, err
    real, err = fs.resolve(link)
    if err is not None:
        return None, err
    if not fs.exists(real):
        return None, SysfsError(fs.abspath(link), "ENOENT", "listed, but no longer exists")
    return real, None


def _types_dir(fs, parent_real, shown):
    """The parent's ``mdev_supported_types``, refused when it is a link."""
    types_dir = os.path.join(parent_real, "mdev_supported_types")
    real, err = fs.resolve(types_dir)
    if err is None and real != types_dir:
        err = SysfsError(shown, ELINK, "mdev_supported_types resolves to %s, not inside the parent" % fs.abspath(real))
    return types_dir, err


def _type_dir(fs, parent_real, type_id, shown):
    """``(real type directory or None, SysfsError or None)``: never followed out of the parent's
    ``mdev_supported_types``."""
    types_dir, err = _types_dir(fs, parent_real, shown)
    if err is not None:
        return None, err
    type_dir = os.path.join(types_dir, type_id)
    if not fs.exists(type_dir) and not fs.is_link(type_dir):
        return None, None
    real, err = fs.resolve(type_dir)
    if err is None and os.path.dirname(real) != types_dir:
        err = SysfsError(shown, EOUTSIDE, "type directory resolves to %s, outside %s"
                         % (fs.abspath(real), fs.abspath(types_dir)))
    if err is None and not fs.exists(real):
        err = SysfsError(shown, "ENOENT", "dangling type directory link")
    return (real, None) if err is None else (None, err)


def _plan_type(fs, index, type_id, parents, data, attribute):
    bus = os.path.join("class", "mdev_bus")
    names = parents
    if not names:
        listed, err = fs.listdir(bus)
        if err is not None:
            return [PlannedProbe(index, None, type_id, None, None, None, data, error=err)]
        names = listed
    planned = []
    for parent in names:
        link = os.path.join(bus, parent)
        shown_type = fs.abspath(os.path.join(link, "mdev_supported_types", type_id))
        parent_real, err = _entry(fs, link)
        if err is not None:
            planned.append(PlannedProbe(index, parent, type_id, None, None, None, data, error=err))
            continue
        if parent_real is None:
            if parents:
                planned.append(PlannedProbe(index, parent, type_id, None, None, None, data,
                                            "no parent %s under class/mdev_bus" % parent))
            continue
        type_real, err = _type_dir(fs, parent_real, type_id, shown_type)
        if err is not None:
            planned.append(PlannedProbe(index, parent, type_id, None, None, None, data, error=err))
            continue
        if type_real is None:
            if parents:
                planned.append(PlannedProbe(index, parent, type_id, None, None, None, data,
                                            "parent %s does not offer type %s" % (parent, type_id)))
            continue
        name = _pick_attribute(fs, type_real, attribute)
        planned.append(PlannedProbe(
            index, parent, type_id, None, name, os.path.join(type_real, name) if name else None, data,
            None if name else "type %s publishes no %s attribute" % (
                type_id, " or ".join(VERSION_ATTRIBUTES) if attribute == "auto" else attribute),
            shown=os.path.join(shown_type, name) if name else None))
    if not planned:
        planned.append(PlannedProbe(index, None, type_id, None, None, None, data, "no parent offers type %s" % type_id))
    return planned


def _plan_device(fs, index, uuid, data, attribute):
    dev = os.path.join("bus", "mdev", "devices", uuid)
    dev_real, err = _entry(fs, dev)
    if err is not None:
        return [PlannedProbe(index, None, None, uuid, None, None, data, error=err)]
    if dev_real is None:
        return [PlannedProbe(index, None, None, uuid, None, None, data, "no mdev device %s on this host" % uuid)]
    parent_real = os.path.dirname(dev_real)
    parent = os.path.basename(parent_real)
    type_link = os.path.join(dev_real, "mdev_type")
    type_id, err = fs.link_name(type_link)
    if err is None and type_id is None:
        err = SysfsError(fs.abspath(os.path.join(dev, "mdev_type")), "ENOENT", "missing mdev_type link")
    if err is None:
        validate_type = is_sysfs_name(type_id)
        type_real, err = _type_dir(fs, parent_real, type_id, fs.abspath(os.path.join(dev, "mdev_type")))
        if err is None and (type_real is None or not validate_type or fs.resolve(type_link)[0] != type_real):
            err = SysfsError(fs.abspath(os.path.join(dev, "mdev_type")), EOUTSIDE,
                             "mdev_type does not point into the parent's mdev_supported_types")
    if err is not None:
        return [PlannedProbe(index, parent, type_id, uuid, None, None, data, error=err)]
    planned = []
    # The device-level attribute (RFC v5) folds type and aggregation into the string; probe it
    # where it exists. The type-level one is reached through the device's mdev_type link.
    name = _pick_attribute(fs, dev_real, attribute)
    if name:
        planned.append(PlannedProbe(index, parent, type_id, uuid, name, os.path.join(dev_real, name), data,
                                    shown=fs.abspath(os.path.join(dev, name))))
    name = _pick_attribute(fs, type_real, attribute)
    planned.append(PlannedProbe(index, parent, type_id, uuid, name, os.path.join(type_real, name) if name else None,
                                data, None if name else "type %s of device %s publishes no version attribute"
                                % (type_id, uuid),
                                shown=fs.abspath(os.path.join(dev, "mdev_type", name)) if name else None))
    return planned


def _privilege_message(err, doing):
    return "permission denied %s %s: %s" % (doing, err.path, BECOME_HINT)


def _classify_read(err):
    """The verdict of a failed read of the attribute (nothing is written then)."""
    if err.errno == "ENOENT" or err.errno in UNSUPPORTED_READ_ERRNOS:
        return UNSUPPORTED, "reading %s failed (%s): migration unsupported" % (err.path, err.message)
    if err.errno in PRIVILEGE_ERRNOS:
        return ERROR, _privilege_message(err, "reading")
    return ERROR, "reading %s failed (%s %s): support unknown, nothing written" % (err.path, err.errno, err.message)


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
        return ERROR, err.errno, _privilege_message(err, "writing")
    if err.errno in (EOUTSIDE, ELINK):
        return ERROR, err.errno, "%s %s; nothing written" % (err.path, err.message)
    return ERROR, err.errno, "%s writing %s" % (err.message, err.path)


def execute(fs, planned):
    """Probe each planned attribute: one read, then one write. Returns the records.

    Each distinct (attribute, version) is written once: a later request that resolves to the
    same attribute with the same bytes (a parent named twice, a device and a type probe that
    meet) gets the first record's verdict and a note, and no second write.
    """
    records = []
    done = {}
    for probe in planned:
        record = {
            "probe": probe.request,
            "parent": probe.parent,
            "type_id": probe.type_id,
            "device": probe.device,
            "attribute": probe.attribute,
            "path": probe.shown or (fs.abspath(probe.relpath) if probe.relpath else None),
            "source_version": probe.data.decode("ascii"),
            "verdict": UNSUPPORTED,
            "errno": None,
            "written": None,
            "message": probe.note,
        }
        records.append(record)
        if probe.error is not None:
            record.update(verdict=ERROR, errno=probe.error.errno, path=probe.error.path,
                          message="%s %s; nothing written" % (probe.error.path, probe.error.message))
            continue
        if probe.relpath is None:
            record["errno"] = "ENOENT"
            continue
        key = (probe.relpath, probe.data)
        if key in done:
            first = records[done[key]]
            record.update(verdict=first["verdict"], errno=first["errno"],
                          message="not written again: the same attribute and version as record %d (%s)"
                          % (done[key], first["message"]))
            continue
        done[key] = len(records) - 1
        # The RFC: an errno on read means this type does not support migration. Do not write then.
        err = fs.read(probe.relpath, follow=False)[1]
        if err is not None:
            verdict, message = _classify_read(err)
            record.update(verdict=verdict, errno=err.errno, message=message)
            continue
        written, err = fs.write_once(probe.relpath, probe.data)
        verdict, errno_, message = _classify_write(written, err, len(probe.data))
        record.update(verdict=verdict, errno=errno_, written=written, message=message)
    return records


def summarize(requests, records):
    """Per request: compatible parents (every attribute probed on that parent accepted)."""
    summary = []
    for index, req in enumerate(requests):
        mine = [r for r in records if r["probe"] == index]
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
