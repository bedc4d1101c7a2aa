# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Create, remove and define one mdev (PRIVATE to the collection).

Two phases, so that bad input and a state that cannot be reached never cause a write: ``plan``
validates the input, reads the device, its type's free instances and mdevctl's definitions of
that UUID, and decides the steps; ``apply`` makes them, each with one ``Sysfs.write_once`` (or
one ``mkdir``/``unlink`` in mdevctl's directory). The only files written are ``<type>/create``,
``bus/mdev/devices/<uuid>/remove`` and, when asked, ``<config dir>/<parent>/<uuid>``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import PRIVILEGE_ERRNOS
from ansible_collections.vfio.mdev_migration.plugins.module_utils._facts_mdevctl import (
    SCRIPTS_DIR,
    STARTS,
    definition_problem,
    uuid_of_name,
)
from ansible_collections.vfio.mdev_migration.plugins.module_utils._probe_input import is_sysfs_name

# The form the kernel's create attribute takes (guid_parse): hyphenated, either case.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")

BUS = "class/mdev_bus"
DEVICES = "bus/mdev/devices"
BECOME_HINT = "only root may create, remove or define mdevs: run the task with become: true"


class DeviceError(Exception):
    """The task cannot be done; the message names the input. ``done`` lists the steps made."""

    def __init__(self, message, done=None):
        super(DeviceError, self).__init__(message)
        self.done = done or []


def definition_bytes(type_id, start, attrs=None):
    """An mdevctl definition byte for byte as ``mdevctl define`` (1.2.0) writes it: serde_json's
    pretty printer (2-space indent, no trailing newline), keys in mdevctl's order, UTF-8."""
    document = {"mdev_type": type_id, "start": start, "attrs": list(attrs or [])}
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


def _name(value, option):
    if not isinstance(value, str) or not is_sysfs_name(value):
        raise DeviceError("%s %r is not a single sysfs name (letters, digits, '_', '.', ':', '+', '-'; no '/')"
                          % (option, value))
    return value


def validate(params):
    """The checked input: ``uuid`` (lower case), ``state``, ``type_id``, ``parents`` (list),
    ``persist``, ``start``. Raises DeviceError naming the bad option."""
    uuid = params.get("uuid")
    if not isinstance(uuid, str) or not _UUID.match(uuid):
        raise DeviceError("uuid %r is not a UUID (8-4-4-4-12 hexadecimal digits, such as "
                          "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01)" % (uuid,))
    state = params.get("state") or "present"
    type_id = params.get("type_id")
    if type_id is not None:
        _name(type_id, "type_id")
    elif state == "present":
        raise DeviceError("type_id is required with state=present")
    parents = [params["parent"]] if params.get("parent") is not None else list(params.get("parents") or [])
    option = "parent" if params.get("parent") is not None else "parents"
    for index, parent in enumerate(parents):
        _name(parent, option if option == "parent" else "parents[%d]" % index)
    if state == "present" and not parents:
        raise DeviceError("parent or parents is required with state=present")
    start = params.get("start") or "manual"
    if start not in STARTS:
        raise DeviceError("start %r is not one of %s" % (start, ", ".join(STARTS)))
    if params.get("persist") and SCRIPTS_DIR in parents:
        raise DeviceError("parent %s is mdevctl's own script directory, not a parent" % SCRIPTS_DIR)
    return {"uuid": uuid.lower(), "state": state, "type_id": type_id, "parents": parents,
            "persist": bool(params.get("persist")), "start": start}


def read_device(fs, uuid):
    """``{exists, parent, type_id}`` of ``bus/mdev/devices/<uuid>``; DeviceError when unusable."""
    link = os.path.join(DEVICES, uuid)
    if not fs.is_link(link) and not fs.exists(link):
        return {"exists": False, "parent": None, "type_id": None}
    real, err = fs.resolve(link)
    type_id = None
    if err is None:
        type_id, err = fs.link_name(os.path.join(real, "mdev_type"))
    if err is not None or type_id is None:
        why = "%s %s" % (err.path, err.message) if err is not None else "it has no mdev_type link"
        raise DeviceError("device %s is listed under %s but cannot be read (%s); nothing written"
                          % (uuid, fs.abspath(DEVICES), why))
    return {"exists": True, "parent": os.path.basename(os.path.dirname(real)), "type_id": type_id}


def read_definitions(config, uuid):
    """mdevctl's definitions of ``uuid``: ``[{parent, path, type_id, start, attrs}]`` (any
    spelling of the file name that mdevctl reads as that UUID). An unreadable or malformed one is a DeviceError: never overwritten."""
    if config is None:
        return []
    parents, err = config.listdir("")
    if err is not None:
        raise DeviceError("mdevctl_config_dir %s cannot be listed (%s %s); nothing written"
                          % (config.root, err.errno, err.message))
    found = []
    for parent in parents:
        if parent == SCRIPTS_DIR or not os.path.isdir(config.abspath(parent)):
            continue
        names, err = config.listdir(parent)
        if err is not None:
            raise DeviceError("%s cannot be listed (%s %s); nothing written" % (err.path, err.errno, err.message))
        for name in names:
            if uuid_of_name(name) != uuid:
                continue        # every spelling mdevctl reads as this UUID is its definition
            relpath = os.path.join(parent, name)
            text, err = config.read(relpath, follow=False)
            problem = "%s %s" % (err.errno, err.message) if err is not None else None
            data = None
            if problem is None:
                try:
                    data = json.loads(text)
                    problem = definition_problem(data)
                except ValueError as exc:
                    problem = "is not JSON (%s)" % exc
            if problem is not None:
                raise DeviceError("mdevctl definition %s cannot be used (%s); nothing written"
                                  % (config.abspath(relpath), problem))
            found.append({"parent": parent, "path": relpath, "type_id": data["mdev_type"], "start": data["start"],
                          "attrs": data.get("attrs", [])})
    return found


def _offer(fs, parent, type_id):
    """``(free instances, None)`` of ``type_id`` under ``parent``, or ``(None, why not)``."""
    link = os.path.join(BUS, parent)
    if not fs.exists(link):
        return None, "%s: no such parent under %s" % (parent, fs.abspath(BUS))
    tdir = os.path.join(link, "mdev_supported_types", type_id)
    if not fs.exists(tdir):
        return None, "%s: does not offer %s" % (parent, type_id)
    free, err = fs.read_int(os.path.join(tdir, "available_instances"))
    if err is not None:
        return 0, "%s: available_instances unreadable (%s %s)" % (parent, err.errno, err.message)
    return free, "%s: %d available instances" % (parent, free)


def choose_parent(fs, type_id, parents):
    """The first of ``parents`` offering ``type_id`` with a free instance, or DeviceError."""
    reasons, offered = [], False
    for parent in parents:
        free, why = _offer(fs, parent, type_id)
        offered = offered or free is not None
        if free:
            return parent
        reasons.append(why)
    if not offered:
        raise DeviceError("type %s is not offered by %s (%s); nothing written"
                          % (type_id, _list(parents), "; ".join(reasons)))
    raise DeviceError("no free instance of type %s on %s (%s); nothing written"
                      % (type_id, _list(parents), "; ".join(reasons)))


def _list(parents):
    return ("parent %s" % parents[0]) if len(parents) == 1 else "any of the parents %s" % ", ".join(parents)


def _view(device, definitions):
    return {"exists": device["exists"], "parent": device["parent"], "type_id": device["type_id"],
            "persisted": bool(definitions)}


def plan(fs, config, want):
    """``(before, after, steps)`` for the validated input ``want``. Writes nothing.

    Steps: ``("create", parent, type_id)``, ``("remove",)``, ``("mkdir", parent)``,
    ``("define", relpath, bytes)``, ``("undefine", relpath)``.
    """
    uuid, type_id, parents = want["uuid"], want["type_id"], want["parents"]
    device = read_device(fs, uuid)
    definitions = read_definitions(config, uuid)
    before = _view(device, definitions)
    after = dict(before)
    steps = []
    if device["exists"] and ((type_id and device["type_id"] != type_id) or
                             (parents and device["parent"] not in parents)):
        raise DeviceError("device %s already exists with type %s on parent %s, not type %s on %s; nothing written"
                          % (uuid, device["type_id"], device["parent"], type_id or device["type_id"],
                             _list(parents) if parents else "its parent"))
    if want["state"] == "present":
        parent = device["parent"] if device["exists"] else choose_parent(fs, type_id, parents)
        if not device["exists"]:
            steps.append(("create", parent, type_id))
            after.update(exists=True, parent=parent, type_id=type_id)
        if want["persist"]:
            steps.extend(_define_steps(config, uuid, parent, type_id, want["start"], definitions))
            after["persisted"] = True
    else:
        if device["exists"]:
            steps.append(("remove",))
            after.update(exists=False, parent=None, type_id=None)
        if want["persist"]:
            for found in definitions:
                if (type_id and found["type_id"] != type_id) or (parents and found["parent"] not in parents):
                    raise DeviceError("mdevctl defines %s with type %s on parent %s (%s), not the type or parent "
                                      "given; nothing written"
                                      % (uuid, found["type_id"], found["parent"], config.abspath(found["path"])))
                steps.append(("undefine", found["path"]))
            after["persisted"] = False
    return before, after, steps


def _define_steps(config, uuid, parent, type_id, start, definitions):
    if config is None:
        raise DeviceError("persist needs mdevctl's configuration directory, and mdevctl_config_dir does not exist; "
                          "nothing written")
    for found in definitions:
        if found["parent"] != parent or found["type_id"] != type_id:
            raise DeviceError("mdevctl already defines %s with type %s on parent %s (%s), not type %s on parent %s; "
                              "nothing written" % (uuid, found["type_id"], found["parent"],
                                                   config.abspath(found["path"]), type_id, parent))
        if found["start"] == start:
            return []
        # Only start differs: the definition is rewritten with its attributes kept.
        return [("define", found["path"], definition_bytes(type_id, start, found["attrs"]))]
    steps = [] if os.path.isdir(config.abspath(parent)) else [("mkdir", parent)]
    return steps + [("define", os.path.join(parent, uuid), definition_bytes(type_id, start))]


def _refused(err, doing):
    if err.errno in PRIVILEGE_ERRNOS:
        return "%s: %s was refused (%s): %s" % (doing, err.path, err.errno, BECOME_HINT)
    return "%s: %s failed (%s %s)" % (doing, err.path, err.errno, err.message)


def _create_error(err, uuid, parent, type_id):
    doing = "creating %s of type %s on parent %s" % (uuid, type_id, parent)
    if err.errno == "EUSERS":
        return "%s: no free instance left (EUSERS)" % doing
    if err.errno == "EEXIST":
        return "%s: a device with this UUID already exists (EEXIST)" % doing
    if err.errno == "EINVAL":
        return ("%s: the driver refused it (EINVAL); a parent that takes one type at a time (NVIDIA vGPU on a "
                "time-sliced GPU) refuses a second type while it holds devices of another" % doing)
    return _refused(err, doing)


def apply(fs, config, uuid, steps):
    """Make the planned steps in order. Returns the names of the steps made; raises DeviceError
    (with the steps already made) at the first that fails, and makes no more."""
    done = []
    for step in steps:
        kind = step[0]
        if kind == "create":
            data = uuid.encode("ascii")
            written, err = fs.write_once(os.path.join(BUS, step[1], "mdev_supported_types", step[2], "create"), data)
            message = _create_error(err, uuid, step[1], step[2]) if err is not None else None
        elif kind == "remove":
            written, err = fs.write_once(os.path.join(DEVICES, uuid, "remove"), b"1")
            message = _refused(err, "removing %s" % uuid) if err is not None else None
            data = b"1"
        elif kind == "mkdir":
            written, err = config.mkdir(step[1])
            data, message = None, _refused(err, "creating mdevctl's directory") if err is not None else None
        elif kind == "define":
            data = step[2]
            written, err = config.write_once(step[1], data, create=True)
            message = _refused(err, "writing the mdevctl definition of %s" % uuid) if err is not None else None
        else:
            written, err = config.unlink(step[1])
            data, message = None, _refused(err, "removing the mdevctl definition of %s" % uuid) if err else None
        if message is None and data is not None and written != len(data):
            message = "%s: short write (%d of %d bytes)" % (kind, written, len(data))
        if message is not None:
            raise DeviceError(message + ("; done before: %s" % ", ".join(done) if done else "; nothing changed"),
                              done)
        done.append(kind)
    return done
