# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Write-probe evidence: which records speak of this exact pair, and what they say (PRIVATE).

Contract: ``outcome_of`` turns whatever a host registered from mdev_version_probe (one result,
a loop's results, a failed, unreachable or skipped task, or a plain list of records) into an
outcome ``{status, records, message}``; it raises PolicyInputError only for a shape that is no
probe result at all. ``apply_probe`` lays an outcome over an offline decision: once probes are
given, a source that publishes a version is compatible with a parent only if that parent
accepted every such version for the source's type, in full; a refusal (EINVAL) makes it
incompatible; anything else (another errno, a short write, no record, a failed or missing
probe) makes it unknown. An offline ``incompatible`` stands: a probe never widens a refusal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping, Sequence

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import is_int
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import (
    COMPATIBLE,
    EVIDENCE_PROBE,
    INCOMPATIBLE,
    PROBE_ACCEPTED,
    PROBE_REFUSED,
    UNKNOWN,
    PolicyInputError,
    decision,
)

OK = "ok"
MISSING = "missing"


def _outcome(status, records=(), message=None):
    return {"status": status, "records": list(records), "message": message}


def _is_record(item):
    return isinstance(item, Mapping) and "verdict" in item and "source_version" in item


def task_status(result):
    """``(status, message)`` of a registered task result that did not run to the end, or None."""
    if result.get("unreachable"):
        return "unreachable", "the host was unreachable (%s)" % (result.get("msg") or "no message")
    if result.get("failed"):
        return "failed", "the task failed (%s)" % (result.get("msg") or "no message")
    if result.get("skipped"):
        return "skipped", "the task was skipped on this host"
    return None


def outcome_of(registered, host):
    """The probe outcome of ``host`` from what it registered (None: no result at all)."""
    where = "probes: the result for host %s" % host
    if registered is None:
        return _outcome(MISSING, message="no probe result for this host (it was not probed)")
    if isinstance(registered, Mapping):
        status = task_status(registered)
        if status is not None:
            return _outcome(status[0], message="the probe did not run: %s" % status[1])
        if "records" in registered:
            registered = registered["records"]
        elif isinstance(registered.get("results"), Sequence) and not isinstance(registered["results"], str):
            return _loop_outcome(registered["results"], where)
        else:
            raise PolicyInputError("%s is not a result of mdev_version_probe (no records)" % where)
    if isinstance(registered, str) or not isinstance(registered, Sequence):
        raise PolicyInputError("%s is neither a registered mdev_version_probe result nor a list of its records"
                               % where)
    records = []
    for index, item in enumerate(registered):
        if not _is_record(item):
            raise PolicyInputError("%s: item %d is not a probe record (it has no verdict or source_version)"
                                   % (where, index))
        records.append(item)
    return _outcome(OK, records)


def _loop_outcome(items, where):
    """A probe registered in a loop: every item's records; any item that did not run is named."""
    records, problems = [], []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise PolicyInputError("%s: loop item %d is not a task result" % (where, index))
        status = task_status(item)
        if status is not None:
            problems.append("probe loop item %d did not run: %s" % (index, status[1]))
            continue
        if not isinstance(item.get("records"), Sequence) or isinstance(item.get("records"), str):
            raise PolicyInputError("%s: loop item %d is not a result of mdev_version_probe (no records)"
                                   % (where, index))
        for number, record in enumerate(item["records"]):
            if not _is_record(record):
                raise PolicyInputError("%s: loop item %d: item %d is not a probe record (it has no verdict or "
                                       "source_version)" % (where, index, number))
            records.append(record)
    if problems:
        # A loop item that did not run may have been the one about this pair: nothing confirms.
        return _outcome("failed", records, "; ".join(problems))
    return _outcome(OK, records)


def _about(record, source, parent, version):
    """Whether a record is about this exact pair: a type-level probe of this parent, type and version."""
    # Device-level records speak of a device that already exists on the target: never of a
    # type the source could be placed on (a target holding the source's UUID is refused anyway).
    return record.get("device") is None and record.get("parent") == parent \
        and record.get("type_id") == source["type_id"] and record.get("source_version") == version


def _accepted(record, version):
    return record.get("verdict") == PROBE_ACCEPTED and is_int(record.get("written")) \
        and record["written"] == len(version.encode("ascii"))


def _why_not(record):
    if record.get("verdict") == PROBE_ACCEPTED:
        return "the probe reported acceptance but wrote %s of the version's bytes, which is not an acceptance" % (
            record.get("written"))
    return "the probe answered %s%s: %s" % (record.get("verdict"), " (%s)" % record["errno"] if record.get("errno")
                                            else "", record.get("message") or "no message")


def _offline_said(offline):
    """The offline decision, kept for the reader: once a probe is asked for it no longer counts."""
    return ["offline, without the probe (does not count once a probe is asked for): %s: %s"
            % (offline["verdict"], reason) for reason in offline["reasons"]]


def apply_probe(offline, outcome, source, versions):
    """The decision for one parent once probe evidence for its host is known."""
    if not versions or offline["verdict"] == INCOMPATIBLE:
        return offline
    if offline["verdict"] == UNKNOWN and not offline.get("probe_decides"):
        return offline      # an unknown source, malformed facts, unknown identity: not the probe's question
    # What the probe does not speak to: where, how many free, how many promised to mdevctl.
    keep = {key: offline[key] for key in ("parent", "capacity", "free_vfs", "reserved") if key in offline}
    if outcome["status"] != OK:
        return decision(UNKNOWN, None, [outcome["message"]] + _offline_said(offline), **keep)
    refused, missing = [], []
    for version in versions:
        mine = [r for r in outcome["records"] if _about(r, source, offline["parent"], version)]
        refusals = [r for r in mine if r.get("verdict") == PROBE_REFUSED]
        if refusals:
            refused.append("the target's driver refused version %s in a write probe (%s)"
                           % (version, refusals[0].get("errno")))
        elif not mine:
            missing.append("no probe record for version %s of type %s on this parent%s" % (
                version, source["type_id"], " (%s)" % outcome["message"] if outcome["message"] else ""))
        elif not all(_accepted(r, version) for r in mine):
            missing.extend("version %s: %s" % (version, _why_not(r)) for r in mine if not _accepted(r, version))
    if refused:
        return decision(INCOMPATIBLE, EVIDENCE_PROBE, refused, **keep)
    if missing:
        return decision(UNKNOWN, None, missing + _offline_said(offline), **keep)
    return decision(COMPATIBLE, EVIDENCE_PROBE, ["the target's driver accepted %s in a write probe"
                                                 % ", ".join(versions)], **keep)


OUTCOME_STATUSES = (OK, MISSING, "unreachable", "failed", "skipped")


def saved_outcome(value, where):
    """An outcome written to a file by ``outcome_of`` and read back, checked: it must be one."""
    if not isinstance(value, Mapping) or set(value) != set(("status", "records", "message")):
        raise PolicyInputError("%s is not a probe outcome (status, records, message)" % where)
    if value["status"] not in OUTCOME_STATUSES:
        raise PolicyInputError("%s: status %r is none of %s" % (where, value["status"], ", ".join(OUTCOME_STATUSES)))
    records = value["records"]
    if isinstance(records, str) or not isinstance(records, Sequence) or not all(_is_record(r) for r in records):
        raise PolicyInputError("%s: records must be a list of probe records" % where)
    if value["message"] is not None and not isinstance(value["message"], str):
        raise PolicyInputError("%s: message must be a string or null" % where)
    return _outcome(value["status"], records, value["message"])
