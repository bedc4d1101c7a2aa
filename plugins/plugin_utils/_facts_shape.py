# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a host's mdev facts say, and whether they can be trusted (PRIVATE to the collection).

Contract: facts arrive from hosts, caches and users in any shape. These functions never raise
on them: a malformed value is a sentence naming the key (``facts_problem``), a version
attribute is one of a few states (``version_state``), and stale facts are named by
``freshness_problem``. Nothing here decides a verdict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
from collections.abc import Mapping

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import is_int, version_problem

# States of a version attribute on one side of a pair.
PUBLISHED = "published"         # it reads, and the value is a version the probe could write
ABSENT = "absent"               # the driver has no version attribute
UNSUPPORTED = "unsupported"     # reading it fails with an errno that means "no migration"
UNREADABLE = "unreadable"       # it exists but could not be read, or its value is not a version
NOT_GATHERED = "not_gathered"   # mdev_facts ran without the versions subset

_STR = (str, type(None))
# What mdev_facts tells of each read error (and the audit report writes of it).
ERROR_KEYS = ("path", "errno", "message")
# Times as mdev_facts writes gathered_at and the audit generated_at (UTC), and the clock skew
# between machines tolerated before a time in the future is distrusted.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
CLOCK_SKEW_SECONDS = 300
# A subsystem or bus as sysfs names it (pci, mtty, platform): lower case, nothing else.
_SYSFS_NAME = re.compile(r"[a-z0-9_][a-z0-9_.-]*\Z")


def _is_mapping(value):
    # A dict is by far the common case and the check against ``dict`` is a fast built-in one; the
    # Mapping ABC's check runs Python code per call, and host_problem makes hundreds per host.
    return isinstance(value, (dict, Mapping))


def mdev_facts_of(entry):
    """The ``mdev`` facts in a hostvars entry, or the entry itself when it already is mdev facts.

    Accepts ``{'ansible_facts': {'mdev': ...}}`` (hostvars), ``{'ansible_mdev': ...}`` (facts
    injected as variables), ``{'mdev': ...}`` (a host's ``ansible_facts``, as a fact cache holds
    them) and bare mdev facts. Returns None when there are none.
    """
    if not _is_mapping(entry):
        return None
    if "schema_version" in entry and "parents" in entry:
        return entry
    for outer, inner in (("ansible_facts", "mdev"), (None, "ansible_mdev"), (None, "mdev")):
        container = entry.get(outer) if outer else entry
        if _is_mapping(container):
            facts = container.get(inner)
            if _is_mapping(facts) and "parents" in facts:
                return facts
    return None


def subset_gathered(facts, name):
    """Whether mdev_facts gathered ``name``; facts without ``gather_subset`` predate it (all)."""
    gathered = facts.get("gather_subset")
    return gathered is None or name in gathered


def uuid_in_use(facts, uuid):
    """How the host of ``facts`` already uses the mdev UUID ``uuid``: ``"holds"`` (a device with
    it), ``"defines"`` (an mdevctl definition of it, started or not, under any parent) or None.

    A definition counts: starting the VM's device there would take mdevctl's definition, of
    whatever parent and type it names, and a definition with autostart comes back at boot."""
    if uuid in (facts.get("devices") or {}):
        return "holds"
    if uuid in (facts.get("defined") or {}):
        return "defines"
    return None


def definitions_unseen(facts):
    """Why some of the host's mdevctl definitions could not be read, so that the UUIDs they define
    are unknown (the listing failed, or some parents' directories could not be listed), or None.
    Facts gathered without the mdevctl subset have no definitions to count, as for capacity."""
    mdevctl = facts.get("mdevctl")
    if not subset_gathered(facts, "mdevctl") or not _is_mapping(mdevctl):
        return None
    if mdevctl.get("error"):
        return mdevctl_listing_failed(mdevctl)
    if mdevctl.get("unreadable_parents"):
        return "mdevctl's definitions of parent(s) %s could not be listed" % ", ".join(mdevctl["unreadable_parents"])
    return None


def mdevctl_listing_failed(mdevctl):
    """Why mdevctl's definitions could not be listed at all (its facts' ``error``), or None."""
    if not mdevctl.get("error"):
        return None
    return "mdevctl's definitions in %s could not be listed (%s)" % (mdevctl.get("config_dir"), mdevctl["error"])


def definition_places(facts, uuid):
    """Where mdevctl defines ``uuid`` on the host: ``parent type`` for each definition (a UUID may be
    defined under two parents), or the file's error when a definition could not be read."""
    entries = [facts["defined"][uuid]] + [d for d in (facts.get("mdevctl") or {}).get("duplicates") or ()
                                          if d.get("uuid") == uuid]
    return ", ".join("parent %s, %s" % (d.get("parent"), "type %s" % d["type_id"] if d.get("type_id") is not None
                                        else "its file unreadable (%s)" % (d.get("error") or "incomplete"))
                     for d in entries)


_VERSION_PROBLEMS = {}


def _known_version_problem(value):
    """``version_problem``, remembered: a fleet repeats a handful of version strings on every host."""
    if not isinstance(value, str):
        return version_problem(value)
    if value not in _VERSION_PROBLEMS:
        if len(_VERSION_PROBLEMS) > 4096:
            _VERSION_PROBLEMS.clear()
        _VERSION_PROBLEMS[value] = version_problem(value)
    return _VERSION_PROBLEMS[value]


def version_state(record):
    """``(state, version, detail)`` of a migration record as mdev_facts returns it."""
    if record is None:
        return NOT_GATHERED, None, "versions were not gathered (gather_subset)"
    supported, errno_ = record.get("supported"), record.get("errno")
    attribute = record.get("attribute") or "version attribute"
    if supported is False:
        return UNSUPPORTED, None, "reading its %s failed with %s: migration unsupported" % (attribute, errno_)
    if supported is True:
        problem = _known_version_problem(record.get("version"))
        if problem:
            # The same rule as the probe's: a value it would not write was never accepted by a driver.
            return UNREADABLE, None, "its %s is not a usable version: it %s" % (attribute, problem)
        return PUBLISHED, record["version"], "it publishes %s %s" % (attribute, record["version"])
    if errno_ is not None:
        return UNREADABLE, None, "its %s could not be read (%s)" % (attribute, errno_)
    return ABSENT, None, "it publishes no version attribute"


def _mapping_problem(where, value, none_ok=False):
    if value is None and none_ok:
        return None
    return None if _is_mapping(value) else "%s is not a mapping" % where


def host_problem(facts):
    """Why the host-level shape of ``facts`` is unusable (a sentence naming the key), or None.

    Types, devices and VFs are checked one by one where they are read (``type_problem``,
    ``device_problem``, ``vf_problem``), so that a bad value in one type does not hide a host.
    """
    problem = _mapping_problem("the facts", facts)
    if problem:
        return problem
    for key in ("parents", "devices", "vendor_vfio", "domains", "defined"):
        problem = _mapping_problem(key, facts.get(key, {}))
        if problem:
            return problem
    for key in ("libvirt", "mdevctl"):
        problem = _mapping_problem(key, facts.get(key), none_ok=True)
        if problem:
            return problem
    for key in ("kernel_release", "machine_id", "boot_id", "gathered_at"):
        if not isinstance(facts.get(key), _STR):
            return "%s is not a string" % key
    subset = facts.get("gather_subset")
    if subset is not None and not (isinstance(subset, (list, tuple)) and all(isinstance(x, str) for x in subset)):
        return "gather_subset is not a list of names"
    errors = facts.get("errors")
    if errors is not None and not (isinstance(errors, (list, tuple)) and all(
            _is_mapping(e) and all(isinstance(e.get(k), _STR) for k in ERROR_KEYS) for e in errors)):
        return "errors is not a list of read errors (each with path, errno and message strings)"
    for name, parent in (facts.get("parents") or {}).items():
        problem = parent_problem("parents.%s" % name, parent)
        if problem:
            return problem
    return vms_problem(facts)


class PerRecord:
    """``function(record)`` remembered for each record object while one call runs: a record that
    many hosts share (``_facts_sharing``), or that one call reads again and again, is computed once.
    Each record is held, so that its ``id`` is never reused for another while the memo lives; make
    one per call, since facts may change between calls."""

    def __init__(self, function):
        self._function = function
        self._seen = {}

    def __call__(self, record):
        hit = self._seen.get(id(record))
        if hit is not None and hit[0] is record:
            return hit[1]
        value = self._function(record)
        self._seen[id(record)] = (record, value)
        return value


class HostProblems(PerRecord):
    """``host_problem``, remembered for each facts mapping while one filter call runs.

    A call that first looks for a VM in every host's facts and then judges the same hosts would
    otherwise check each host twice."""

    def __init__(self):
        super(HostProblems, self).__init__(host_problem)


def _names(value):
    return isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value)


def _definition_problem(where, entry):
    problem = _mapping_problem(where, entry)
    if problem:
        return problem
    if not isinstance(entry.get("parent"), str) or not isinstance(entry.get("type_id"), _STR) \
            or entry.get("start") not in ("auto", "manual", None) or entry.get("active") not in (True, False, None):
        return "%s needs parent, type_id, start (auto or manual) and active (a boolean)" % where
    return None


def vms_problem(facts):
    """Why the libvirt and mdevctl parts of ``facts`` are unusable, or None."""
    for part, listing in (("libvirt", "domains"), ("mdevctl", "defined")):
        if _is_mapping(facts.get(part)):
            if facts[part].get("available") not in (True, False):
                return "%s.available is not a boolean" % part
            if not _is_mapping(facts.get(listing)):
                return "%s is missing beside %s" % (listing, part)
        if not _names(list(facts.get(listing) or {})):
            return "%s has a key that is not a string" % listing
    for name, domain in (facts.get("domains") or {}).items():
        where = "domains.%s" % name
        problem = _mapping_problem(where, domain)
        if problem:
            return problem
        if domain.get("active") not in (True, False) or not _names(domain.get("mdevs")):
            return "%s needs active (a boolean) and mdevs (a list of UUIDs)" % where
        if domain.get("persistent") not in (True, False, None) or not isinstance(domain.get("state"), _STR):
            return "%s needs persistent (a boolean) and state (a string)" % where
        for key in ("vfs", "other_hostdevs"):
            if domain.get(key) is not None and not _names(domain[key]):
                return "%s.%s is not a list of strings" % (where, key)
    for uuid, entry in (facts.get("defined") or {}).items():
        problem = _definition_problem("defined.%s" % uuid, entry)
        if problem:
            return problem
    mdevctl = facts.get("mdevctl") or {}
    if mdevctl.get("unreadable_parents") is not None and not _names(mdevctl["unreadable_parents"]):
        return "mdevctl.unreadable_parents is not a list of parent names"
    duplicates = mdevctl.get("duplicates") or []
    if not isinstance(duplicates, (list, tuple)):
        return "mdevctl.duplicates is not a list"
    for index, entry in enumerate(duplicates):
        problem = _definition_problem("mdevctl.duplicates[%d]" % index, entry)
        if problem:
            return problem
    return None


def parent_problem(where, parent):
    problem = _mapping_problem(where, parent) or _mapping_problem(where + ".types", parent.get("types", {})) \
        or _mapping_problem(where + ".pci", parent.get("pci"), none_ok=True)
    if problem:
        return problem
    for key in ("bus", "subsystem", "driver", "driver_version", "driver_module"):
        if not isinstance(parent.get(key), _STR):
            return "%s.%s is not a string" % (where, key)
    for key in ("bus", "subsystem"):
        if parent.get(key) is not None and not _SYSFS_NAME.match(parent[key]):
            return "%s.%s %r is not a sysfs name" % (where, key, parent[key])
    if parent.get("driver_in_tree") not in (True, False, None):
        return "%s.driver_in_tree is not a boolean" % where
    if any(not isinstance(v, _STR) for v in (parent.get("pci") or {}).values()):
        return "%s.pci has a value that is not a string" % where
    return None


def type_problem(where, mtype):
    problem = _mapping_problem(where, mtype) or _mapping_problem(where + ".migration", mtype.get("migration"),
                                                                 none_ok=True)
    if problem:
        return problem
    if mtype.get("available_instances") is not None and not is_int(mtype["available_instances"]):
        return "%s.available_instances is not an integer" % where
    if not isinstance(mtype.get("device_api"), _STR) or not isinstance(mtype.get("name"), _STR):
        return "%s has a device_api or name that is not a string" % where
    devices = mtype.get("devices")
    if devices is not None and not (isinstance(devices, (list, tuple)) and all(isinstance(d, str) for d in devices)):
        return "%s.devices is not a list of names" % where
    return migration_problem(where + ".migration", mtype.get("migration"))


def migration_problem(where, record):
    if record is None:
        return None
    if not _is_mapping(record):
        return "%s is not a mapping" % where
    if not isinstance(record.get("version"), _STR) or record.get("supported") not in (True, False, None) \
            or not isinstance(record.get("errno"), _STR) or not isinstance(record.get("attribute"), _STR):
        return "%s has a version, attribute or errno that is not a string, or a supported that is not a boolean" % where
    return None


def device_problem(where, device):
    problem = _mapping_problem(where, device)
    if problem:
        return problem
    if not isinstance(device.get("parent"), str) or not isinstance(device.get("type_id"), str):
        return "%s has a parent or type_id that is not a string" % where
    return migration_problem(where + ".migration", device.get("migration"))


def vf_problem(where, vf):
    problem = _mapping_problem(where, vf) or _mapping_problem(where + ".creatable_types",
                                                              vf.get("creatable_types", {})) \
        or _mapping_problem(where + ".pci", vf.get("pci"), none_ok=True)
    if problem:
        return problem
    if vf.get("current_type") is not None and not is_int(vf["current_type"]):
        return "%s.current_type is not an integer" % where
    for key in ("physfn", "driver", "driver_version", "driver_module"):
        if not isinstance(vf.get(key), _STR):
            return "%s.%s is not a string" % (where, key)
    if vf.get("driver_in_tree") not in (True, False, None):
        return "%s.driver_in_tree is not a boolean" % where
    if any(not isinstance(v, _STR) for v in (vf.get("pci") or {}).values()):
        return "%s.pci has a value that is not a string" % where
    return None


def gpus_of(facts):
    """``({physfn: [(address, vf), ...]}, problem)``: the host's vendor-VFIO VFs by physical GPU
    (a VF without a known physfn stands for itself), sorted by address; malformed VFs are left
    out and the first one is named in ``problem``."""
    gpus, problem = {}, None
    for address, vf in sorted((facts.get("vendor_vfio") or {}).items()):
        bad = vf_problem("vendor_vfio.%s" % address, vf)
        if bad:
            problem = problem or bad
            continue
        gpus.setdefault(vf.get("physfn") or address, []).append((address, vf))
    return gpus, problem


def parse_timestamp(text):
    """``2026-11-27T17:45:00Z`` (as mdev_facts writes ``gathered_at``) -> aware datetime, or None."""
    if not isinstance(text, str):
        return None
    try:
        stamp = datetime.datetime.strptime(text, TIMESTAMP_FORMAT)
    except ValueError:
        return None
    return stamp.replace(tzinfo=datetime.timezone.utc)


def freshness_problem(facts, max_age, now):
    """Why ``facts`` are older than ``max_age`` seconds at ``now`` (aware datetime), or None."""
    if max_age is None:
        return None
    stamp = parse_timestamp(facts.get("gathered_at"))
    if stamp is None:
        return "the facts carry no gathered_at time, so their age is unknown (max_age=%d)" % max_age
    age = (now - stamp).total_seconds()
    if age > max_age:
        return "the facts were gathered %s, %d s ago, more than max_age=%d s" % (facts["gathered_at"], age, max_age)
    if age < -CLOCK_SKEW_SECONDS:
        return "the facts' gathered_at %s lies in the future (clock skew?), so their age is unknown" % (
            facts["gathered_at"])
    return None
