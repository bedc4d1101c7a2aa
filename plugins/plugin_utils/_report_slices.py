# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Sliced audits: the partial report of one slice of a fleet, and the merge of all slices (PRIVATE).

Contract: ``partial_report`` keeps what ``_report_model.build_report`` needs of the slice's hosts
(their mdev facts, or null, and their probe outcomes), not a report: domains, stranded devices
and drift need every host of the fleet at once, so a slice cannot judge them. ``merge_partials``
checks that the slices belong together (one policy, probed or not, no host twice, the number of
slices expected) and returns what ``build_report`` takes. A merged report is therefore the report
a single run over the same hosts writes, apart from ``generated_at``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections.abc import Mapping

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import (
    CLOCK_SKEW_SECONDS,
    TIMESTAMP_FORMAT,
    host_problem,
    parse_timestamp,
)
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._probe_evidence import outcome_of, saved_outcome
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import PolicyInputError

# Changes only when a key changes meaning or goes away; new keys keep it.
PARTIAL_REPORT_VERSION = 1

_SLICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def slice_problem(slice_id):
    """Why ``slice_id`` cannot name a slice (it becomes part of a file name), or None."""
    if not isinstance(slice_id, str) or not _SLICE_ID.match(slice_id):
        return ("%r is not a slice identifier: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or "
                "digit" % (slice_id,))
    return None


def partial_report(fleet, policy, probes, slice_id, generated_at):
    """The partial report of one slice: ``fleet`` is ``{host: facts or None}`` as ``build_report``
    takes it, ``probes`` the probe lookup or None."""
    return {
        "partial_report_version": PARTIAL_REPORT_VERSION,
        "slice": slice_id,
        "generated_at": generated_at,
        "policy": policy,
        "probed": probes is not None,
        "hosts": dict((host, fleet[host]) for host in sorted(fleet)),
        "probe_outcomes": None if probes is None else dict((host, probes(host)) for host in sorted(fleet)),
    }


def _checked(name, partial):
    """The partial's slice, policy, probed flag, hosts and outcomes, or an error naming ``name``."""
    if not isinstance(partial, Mapping) or "partial_report_version" not in partial:
        raise PolicyInputError("%s is not a partial audit report (no partial_report_version)" % name)
    if partial["partial_report_version"] != PARTIAL_REPORT_VERSION:
        raise PolicyInputError("%s has partial_report_version %r; this collection reads version %d"
                               % (name, partial["partial_report_version"], PARTIAL_REPORT_VERSION))
    problem = slice_problem(partial.get("slice"))
    if problem:
        raise PolicyInputError("%s: slice %s" % (name, problem))
    if partial.get("policy") not in ("auto", "version", "identity"):
        raise PolicyInputError("%s: policy %r is none of auto, version, identity" % (name, partial.get("policy")))
    if not isinstance(partial.get("probed"), bool):
        raise PolicyInputError("%s: probed must be true or false" % name)
    hosts = partial.get("hosts")
    if not isinstance(hosts, Mapping) or not all(isinstance(h, str) and h for h in hosts):
        raise PolicyInputError("%s: hosts must map host names to mdev facts (or null)" % name)
    outcomes = partial.get("probe_outcomes")
    if partial["probed"] != isinstance(outcomes, Mapping) or (outcomes is not None and set(outcomes) != set(hosts)):
        raise PolicyInputError("%s: probe_outcomes must hold one outcome per host when probed, and be null when not"
                               % name)
    return partial["slice"], partial["policy"], partial["probed"], hosts, outcomes


def _spread_problem(named_partials, max_spread, now):
    """Why the partial reports cannot all be of the audit being merged now (``now``, an aware
    datetime), or None: each must have been written within ``max_spread`` seconds before it, and
    none after it. A slice's report left from an earlier audit (its slice failed this time, or was
    not run) would pass its hosts' old facts off as current, and be counted as a slice."""
    stamps = []
    for name, partial in named_partials:
        stamp = parse_timestamp(partial.get("generated_at"))
        if stamp is None:
            return "%s: generated_at %r is not a time (YYYY-MM-DDTHH:MM:SSZ), so it cannot be told from an earlier " \
                   "audit's" % (name, partial.get("generated_at"))
        stamps.append((stamp, name, partial["generated_at"]))
    newest, oldest = max(stamps), min(stamps)
    if (newest[0] - now).total_seconds() > CLOCK_SKEW_SECONDS:
        return "%s was written at %s, after this merge (%s): its time cannot be trusted (clock skew?)" % (
            newest[1], newest[2], now.strftime(TIMESTAMP_FORMAT))
    age = (now - oldest[0]).total_seconds()
    if age > max_spread:
        return ("%s was written at %s, %d s before this merge, more than max_spread=%d s: it may be left from an "
                "earlier audit, and its hosts' old facts would be reported as current. Remove it or run its slice "
                "again, or raise max_spread when the slices of one audit run that far apart" % (
                    oldest[1], oldest[2], age, max_spread))
    return None


def merge_partials(named_partials, expect_slices=None, max_spread=None, now=None):
    """``(fleet, policy, probes)`` for ``build_report`` from ``[(name, partial)]``, ``name`` being
    what an error calls it (a file name). Malformed facts count as none, as in a single run.
    ``max_spread``: seconds before ``now`` (an aware datetime) within which every partial report
    must have been written."""
    if not named_partials:
        raise PolicyInputError("no partial report to merge")
    checked = [(name, _checked(name, partial)) for name, partial in named_partials]
    # Before the count and the hosts: a partial report left from an earlier audit is one too many
    # and shares hosts with its successor, and its age is the cause to name.
    problem = _spread_problem(named_partials, max_spread, now) if max_spread is not None else None
    if problem:
        raise PolicyInputError(problem)
    if expect_slices is not None and len(named_partials) != expect_slices:
        raise PolicyInputError("%d partial report(s) found (%s), %d slices expected: a slice that failed or has not "
                               "finished would leave its hosts out of the report"
                               % (len(named_partials), ", ".join(n for n, _p in named_partials), expect_slices))
    fleet, outcomes, owner, slices, settings = {}, {}, {}, {}, None
    for name, (slice_id, policy, probed, hosts, slice_outcomes) in checked:
        if slice_id in slices:
            raise PolicyInputError("%s and %s are both slice %s" % (slices[slice_id], name, slice_id))
        slices[slice_id] = name
        if settings is None:
            settings = (policy, probed, name)
        elif (policy, probed) != settings[:2]:
            raise PolicyInputError("%s (policy %s, probed %s) and %s (policy %s, probed %s) come from different audits"
                                   % (settings[2], settings[0], settings[1], name, policy, probed))
        for host, facts in hosts.items():
            if host in owner:
                raise PolicyInputError("host %s is in two slices: %s and %s" % (host, owner[host], name))
            owner[host] = name
            usable = isinstance(facts, Mapping) and host_problem(facts) is None
            fleet[host] = facts if usable else None
            if slice_outcomes is not None:
                outcomes[host] = saved_outcome(slice_outcomes[host], "%s: the probe outcome of host %s" % (name, host))
    policy, probed = settings[:2]
    return fleet, policy, ((lambda host: outcomes.get(host) or outcome_of(None, host)) if probed else None)
