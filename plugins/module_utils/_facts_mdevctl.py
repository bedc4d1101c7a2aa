# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mdevctl's persistent mdev definitions (PRIVATE to the collection).

mdevctl keeps one JSON file per defined device at ``<config dir>/<parent>/<uuid>``:
``{"mdev_type": "nvidia-222", "start": "auto", "attrs": [{"key": "value"}]}``. A definition
with ``start: auto`` that is not active now is created at the host's next boot, so it holds an
instance of its type on its parent that a migration must not count on.

``read_definitions(config, sysfs, record)`` reads them through ``_sysfs.Sysfs`` (rooted at the
configuration directory: bounded reads, nothing followed out of it) and returns
``(mdevctl, defined)``. A file that cannot be read or is not a definition keeps its entry with
``type_id`` and ``start`` null and the errno in ``error`` (passed to ``record`` too): the
capacity of that parent is then unknown, never assumed free. Read-only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import SysfsError

# mdevctl's own directory of callout and notifier scripts lives in the configuration directory.
SCRIPTS_DIR = "scripts.d"
STARTS = ("auto", "manual")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}\Z")


def uuid_of_name(name):
    """The canonical (hyphenated, lower-case) UUID a file name spells, or None.

    mdevctl reads file names with ``Uuid::parse_str``, which takes the hyphenated, the simple (32
    digits), the braced and the ``urn:uuid:`` forms; a name in any of them is a definition.
    """
    text = name[len("urn:uuid:"):] if name.lower().startswith("urn:uuid:") else name
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if len(text) == 36 and [len(p) for p in text.split("-")] == [8, 4, 4, 4, 12]:
        text = text.replace("-", "")
    if not _HEX32.match(text):
        return None
    text = text.lower()
    return "%s-%s-%s-%s-%s" % (text[:8], text[8:12], text[12:16], text[16:20], text[20:])


def definition_problem(data):
    """Why the parsed JSON ``data`` is not an mdevctl definition, or None."""
    if not isinstance(data, dict):
        return "is not a JSON object"
    mdev_type = data.get("mdev_type")
    if not isinstance(mdev_type, str) or not mdev_type or "/" in mdev_type:
        return "has no mdev_type string"
    if data.get("start") not in STARTS:
        return "has start %r, not auto or manual" % (data.get("start"),)
    attrs = data.get("attrs", [])
    if not isinstance(attrs, list) or not all(
            isinstance(item, dict) and len(item) == 1 and all(isinstance(v, str) for v in item.values())
            for item in attrs):
        return "has attrs that are not a list of single-key objects with string values"
    return None


def _active(sysfs, uuid, parent, type_id):
    """Whether the device ``uuid`` exists now as this definition: on ``parent``, of ``type_id``.

    As mdevctl decides it: a device of that UUID on another parent, or of another type, is not
    this definition, which is still created at the next boot.
    """
    device_dir, err = sysfs.resolve(os.path.join("bus", "mdev", "devices", uuid))
    if err is not None or not sysfs.exists(device_dir):
        return False
    return os.path.basename(os.path.dirname(device_dir)) == parent and (
        type_id is None or sysfs.link_name(os.path.join(device_dir, "mdev_type"))[0] == type_id)


def _definition(config, relpath, parent, uuid):
    """``(entry, SysfsError or None)`` of one definition file."""
    entry = {"parent": parent, "type_id": None, "start": None, "active": None, "attrs": None, "error": None}
    text, err = config.read(relpath, follow=False)
    if err is None:
        try:
            data = json.loads(text)
        except ValueError as exc:
            data, problem = None, "is not JSON (%s)" % exc
        else:
            problem = definition_problem(data)
        if problem is None:
            entry.update(type_id=data["mdev_type"], start=data["start"], attrs=data.get("attrs", []))
            return entry, None
        err = SysfsError(config.abspath(relpath), "EINVAL", "mdevctl definition %s %s" % (uuid, problem))
    entry["error"] = err.errno
    return entry, err


def read_definitions(config, sysfs, record):
    """``(mdevctl, defined)`` from the configuration directory ``config`` (a ``Sysfs``).

    ``mdevctl``: ``{config_dir, available, error, unreadable_parents, duplicates}``; ``available`` false
    with ``error`` null when the directory does not exist (mdevctl not in use: nothing
    reserved), false with the errno when it cannot be listed (then every reservation is
    unknown); ``unreadable_parents`` the parents whose directory cannot be listed (their
    reservations are unknown); ``duplicates`` the definitions of a UUID already defined under
    another parent (mdevctl allows that), each ``{uuid, parent, type_id, start, active, attrs,
    error}``. ``defined``: UUID (lower case) -> ``{parent, type_id, start, active, attrs,
    error}`` (the first parent in name order), ``active`` when the device exists in ``sysfs`` on
    that parent with that type.
    """
    info = {"config_dir": config.root, "available": False, "error": None, "unreadable_parents": [], "duplicates": []}
    defined = {}
    if not os.path.isdir(config.root):
        return info, defined
    parents, err = config.listdir("")
    if err is not None:
        record(err)
        info["error"] = err.errno
        return info, defined
    info["available"] = True
    for parent in parents:
        if parent == SCRIPTS_DIR or not os.path.isdir(config.abspath(parent)):
            continue
        names, err = config.listdir(parent)
        if err is not None:
            # A parent whose definitions cannot be listed: its reservations are unknown.
            record(err)
            info["unreadable_parents"].append(parent)
            continue
        for name in names:
            uuid = uuid_of_name(name)
            if uuid is None:
                continue    # mdevctl skips a name that is no UUID (an editor's backup, a stray file)
            entry, err = _definition(config, os.path.join(parent, name), parent, uuid)
            record(err)
            if err is None:
                entry["active"] = _active(sysfs, uuid, parent, entry["type_id"])
            if uuid in defined:
                info["duplicates"].append(dict(entry, uuid=uuid))
            else:
                defined[uuid] = entry
    return info, defined
