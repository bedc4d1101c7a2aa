# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Migration targets for a source: arguments in, ranked host records out (PRIVATE).

Contract: ``migration_targets(args, data, params)`` is the whole work of the filter
``migration_targets`` and of the test ``mdev_compatible``: describe the source (the devices of
the VM ``vm``, a device of ``source_host``, or ``type_id`` with ``version`` and ``identity``), judge every candidate with
``_host_verdict``, and rank them with ``_ranking``. Every malformed argument fails through
``args.fail`` naming it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
from collections.abc import Sequence

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _source
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import freshness_problem
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._fleet_input import Fleet
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._host_verdict import JudgeContext, judge_host
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._ranking import select
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vm_source import find_vm
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import PolicyInputError
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._where import compile_where


def device_list(args, device):
    """``device`` as a non-empty list of names: one string, or a list of strings."""
    devices = [device] if isinstance(device, str) else device
    if isinstance(devices, Sequence) and not isinstance(devices, str) and devices \
            and all(isinstance(d, str) and d for d in devices):
        return [str(d) for d in devices]
    args.fail("device must be a device name (an mdev UUID or a VF address) or a non-empty list of them, got %r"
              % (device,))


def source_facts(args, fleet, host, max_age):
    """The facts of the source host ``host``: present, and no older than ``max_age`` seconds."""
    if host not in fleet:
        args.fail("source_host %r is not in the inventory (or not in the input given to the filter)" % host)
    facts, reason = fleet.facts(host)
    if facts is None:
        args.fail("source_host %s: %s" % (host, reason))
    stale = freshness_problem(facts, max_age, datetime.datetime.now(datetime.timezone.utc))
    if stale:
        args.fail("source_host %s: stale facts: %s" % (host, stale))
    return facts


def build_sources(args, fleet, params):
    """``(sources, source_host)``: the source device(s) described by the arguments and their host."""
    if params.get("vm") is not None:
        if any(params.get(key) is not None for key in ("source_host", "device", "type_id", "version", "identity")):
            args.fail("vm names the source by itself: give it without source_host, device, type_id, version and "
                      "identity")
        if not isinstance(params["vm"], str) or not params["vm"]:
            args.fail("vm must be the name of a VM (a libvirt domain)")
        try:
            host, devices = find_vm(fleet, params["vm"], params.get("max_age"))
            # find_vm found the VM in facts that host_problem found nothing in.
            return [_source.from_facts(fleet.facts(host)[0], d, host, checked=True) for d in devices], host
        except PolicyInputError as exc:
            args.fail(str(exc))
    if params["source_host"] is not None:
        if params["type_id"] is not None or params["version"] is not None or params["identity"] is not None:
            args.fail("give either source_host with device, or type_id with version and identity, not both")
        if params["device"] is None:
            args.fail("source_host needs device (an mdev UUID, a vendor-VFIO VF address, or a list of them)")
        devices = device_list(args, params["device"])
        host = params["source_host"]
        facts = source_facts(args, fleet, host, params.get("max_age"))
        try:
            return [_source.from_facts(facts, d, host) for d in devices], host
        except PolicyInputError as exc:
            args.fail(str(exc))
    if params["type_id"] is None:
        args.fail("give the source as vm, as source_host with device, or as type_id (with version and identity)")
    if params["device"] is not None:
        args.fail("device needs source_host")
    if params["match_vars"]:
        args.fail("match_vars compares host variables and needs source_host or vm")
    try:
        return [_source.from_description(params["type_id"], params["version"], params["identity"])], None
    except PolicyInputError as exc:
        args.fail(str(exc))


def judge_context(args, fleet, params, source_vars=None):
    if params.get("min_available", 0) < 0:
        args.fail("min_available must be 0 or more")
    if params.get("max_age") is not None and params["max_age"] < 0:
        args.fail("max_age must be 0 or more seconds")
    return JudgeContext(policy=params["policy"], where=compile_where(args, params.get("where")),
                        probes=fleet.probe_lookup(params.get("probes")), max_age=params.get("max_age"),
                        now=datetime.datetime.now(datetime.timezone.utc), match_vars=params.get("match_vars") or (),
                        source_vars=source_vars, host_problem=fleet.host_problem)


def migration_targets(args, data, params):
    """Records for every candidate, ranked (see ``_ranking.select``)."""
    fleet = Fleet(args, data, params.get("fresh_facts"))
    sources, source_host = build_sources(args, fleet, params)
    context = judge_context(args, fleet, params, source_host)
    get = fleet.host_var
    records = []
    for host in fleet.names(params["candidates"]):
        if host == source_host:
            continue
        facts, reason = fleet.facts(host)
        record = judge_host(sources, host, facts, context, host, get)
        if facts is None:
            record["reasons"], record["why"] = [reason], reason
        records.append(record)
    return select(records, params["min_available"])
