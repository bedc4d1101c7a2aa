# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Input of the version write probe: checks and messages (PRIVATE to the collection).

Everything the user gives the probe is checked here before any syscall: the ``attribute``
choice, the list of requests, each request's keys, its ``source_version`` (the bytes to write),
its ``type_id`` and ``parents`` (single sysfs names) or its ``device`` (an mdev UUID). A bad
input raises ``ProbeInputError`` whose message names the input (``probes[i].<key>`` when
itemized) and shows the bad value printably and cut short. No I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import VERSION_ATTRIBUTES, version_problem

ATTRIBUTE_CHOICES = ("auto",) + VERSION_ATTRIBUTES
REQUEST_KEYS = ("source_version", "type_id", "device", "parents")

# A single path component as sysfs names types and parents: i915-GVTg_V5_4, nvidia-222,
# mtty-1, 0000:3b:00.0, mtty. No separators, no leading dot, at most NAME_MAX. Matched in full
# (fullmatch): "$" would accept a trailing newline.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,254}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class ProbeInputError(ValueError):
    """Input refused before any syscall; the message names the input."""


def _printable(text):
    return "".join(c if " " <= c <= "~" else "\\x%02x" % ord(c) if ord(c) < 256 else "\\u%04x" % ord(c)
                   for c in text[:80])


def _shown(value):
    """A short, printable rendering of any input value for a message."""
    if isinstance(value, str):
        return repr(_printable(value))
    return "%s %s" % (type(value).__name__, _printable(repr(value)))


def validate_version(value, name="source_version"):
    """The version string as bytes to write, or ProbeInputError naming ``name``.

    One trailing newline (as ``cat`` output carries) is stripped; the rest must pass
    ``_constants.version_problem``, the rule the facts apply to gathered versions too.
    """
    if not isinstance(value, str):
        raise ProbeInputError("%s must be a string, got %s; quote it (YAML reads 1.10 as the number 1.1)"
                              % (name, _shown(value)))
    if value.endswith("\n"):
        value = value[:-1]
    problem = version_problem(value)
    if problem:
        raise ProbeInputError("%s %s %s" % (name, repr(_printable(value)) if len(value) <= 80
                                            else "(%d characters)" % len(value), problem))
    return value.encode("ascii")


def validate_name(value, name):
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ProbeInputError("%s %s is not a single sysfs name (letters, digits, '_', '.', ':', '+', '-'; no '/', "
                              "not starting with '.', at most 255 characters)" % (name, _shown(value)))
    return value


def validate_uuid(value, name="device"):
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise ProbeInputError("%s %s is not an mdev UUID (8-4-4-4-12 hexadecimal digits)" % (name, _shown(value)))
    return value.lower()


def is_sysfs_name(value):
    """Whether ``value`` is a single sysfs name as ``validate_name`` accepts it."""
    return bool(_NAME.fullmatch(value))


def _parents(req, prefix):
    value = req.get("parents")
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProbeInputError("%sparents must be a list of parent names, got %s" % (prefix, _shown(value)))
    return value


def check_attribute(attribute):
    if not isinstance(attribute, str) or attribute not in ATTRIBUTE_CHOICES:
        raise ProbeInputError("attribute %s is not one of %s" % (_shown(attribute), ", ".join(ATTRIBUTE_CHOICES)))


def check_requests(requests):
    if not isinstance(requests, list):
        raise ProbeInputError("probes must be a list of mappings, got %s" % _shown(requests))


def validate_request(req, index, many):
    """``(data, device, type_id, parents)`` of request ``index``: ``device`` (a lower-case UUID)
    or ``type_id`` with its ``parents``, the other None; ProbeInputError naming the bad input."""
    label = "probes[%d]" % index if many else "probe"
    if not isinstance(req, dict):
        raise ProbeInputError("probes[%d] must be a mapping with source_version and type_id or device, got %s"
                              % (index, _shown(req)))
    unknown = sorted(str(k) for k in req if k not in REQUEST_KEYS)
    if unknown:
        raise ProbeInputError("%s: unknown key %s (known: %s)" % (label, ", ".join(unknown), ", ".join(REQUEST_KEYS)))
    prefix = "%s." % label if many else ""
    data = validate_version(req.get("source_version"), prefix + "source_version")
    type_id, device = req.get("type_id"), req.get("device")
    if (type_id is None or type_id == "") == (device is None or device == ""):
        raise ProbeInputError("%s: give exactly one of type_id or device" % label)
    if device is not None and device != "":
        return data, validate_uuid(device, prefix + "device"), None, None
    validate_name(type_id, prefix + "type_id")
    parents = [validate_name(p, "%sparents[%d]" % (prefix, i)) for i, p in enumerate(_parents(req, prefix))]
    return data, None, type_id, parents
