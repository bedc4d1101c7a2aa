# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A VM found by name in the fleet's facts (PRIVATE to the collection).

Contract: ``find_vm(fleet, vm)`` returns ``(host, devices)``: the one host whose libvirt facts
show ``vm`` running (or paused: active), and the mdev UUIDs and vendor-VFIO VF addresses it
holds there. Everything that makes that answer unsafe raises PolicyInputError with a sentence
that names it: the VM running nowhere that is known, running on two hosts (a split-brain
signal; one machine under two inventory names is named as such), holding no device, holding
devices that cannot all be known or judged (host devices other than mdevs and the host's
vendor-VFIO VFs), or its host's facts older than ``max_age``. A host whose libvirt could not be
read, or only in part, is a host whose VMs are unknown.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
from collections.abc import Mapping

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import (
    freshness_problem,
    host_problem,
    subset_gathered,
)
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import PolicyInputError

# Hosts named in one message; the rest are counted.
_LISTED = 8


def _hosts(names):
    shown = ", ".join(names[:_LISTED])
    return shown + (" and %d more" % (len(names) - _LISTED) if len(names) > _LISTED else "")


def vms_unknown_reason(facts, reason=None, problem_of=host_problem):
    """Why the VMs of a host are not known from ``facts``, or None when they are; ``problem_of``
    is ``host_problem`` or a memo of it (``Fleet.host_problem``)."""
    if facts is None:
        return reason or "no mdev facts"
    if problem_of(facts):
        return "malformed mdev facts"
    if not subset_gathered(facts, "libvirt") or not isinstance(facts.get("libvirt"), Mapping):
        return "the libvirt subset was not gathered"
    if facts["libvirt"].get("available") is not True:
        return "libvirt could not be read: %s" % facts["libvirt"].get("error")
    if facts["libvirt"].get("error"):
        # Some domains could not be read: one of them may be the VM looked for.
        return "libvirt was read only in part: %s" % facts["libvirt"]["error"]
    return None


def same_machine(fleet, hosts):
    """Whether ``hosts`` (two or more) are one machine under several inventory names."""
    ids = [(f.get("machine_id"), f.get("boot_id")) for f in (fleet.facts(h)[0] or {} for h in hosts)]
    return any(len(set(v for v in column)) == 1 and column[0] for column in zip(*ids))


def devices_problem(vm, host, domain):
    """Why the devices of ``domain`` cannot all be named as a source, or None."""
    if domain.get("vfs") is None:
        return ("vm %s on %s: which of its PCI devices are vendor-VFIO VFs is unknown (the vendor_vfio subset was not "
                "gathered there), so all its devices cannot be named" % (vm, host))
    if domain.get("other_hostdevs"):
        return ("vm %s on %s also holds host devices that are neither mdevs nor vendor-VFIO VFs of the host (%s): a "
                "migration with them is not judged here" % (vm, host, ", ".join(domain["other_hostdevs"])))
    if not list(domain["mdevs"]) + list(domain["vfs"]):
        return "vm %s on %s holds no mdev and no vendor-VFIO VF: there is nothing to gate" % (vm, host)
    return None


def find_vm(fleet, vm, max_age=None):
    """``(host, devices)`` of the VM named ``vm`` (see the module docstring); the host's facts must
    be no older than ``max_age`` seconds when it is given."""
    running, stopped, unknown = [], [], []
    for host in fleet.names():
        facts, reason = fleet.facts(host)
        why = vms_unknown_reason(facts, reason, fleet.host_problem)
        if why is not None:
            unknown.append("%s (%s)" % (host, why))
            continue
        domain = facts["domains"].get(vm)
        if domain is None:
            continue
        (running if domain["active"] else stopped).append((host, domain))
    if len(running) > 1:
        names = [host for host, _domain in running]
        if same_machine(fleet, names):
            raise PolicyInputError("vm %s is running on %s, which are one machine under several inventory names (same "
                                   "machine_id or boot_id): name the machine once in the inventory" % (vm, ", ".join(names)))
        raise PolicyInputError(
            "vm %s is running on %d hosts: %s. That is a split-brain signal (the same VM started twice, or a migration "
            "that did not finish): resolve it before migrating" % (vm, len(running), ", ".join(names)))
    if not running:
        detail = []
        if stopped:
            detail.append("defined but not running on %s" % _hosts([host for host, _domain in stopped]))
        if unknown:
            detail.append("VMs unknown on %s" % _hosts(unknown))
        raise PolicyInputError("vm %s is not running on any host whose VMs are known%s" % (
            vm, " (%s)" % "; ".join(detail) if detail else ""))
    host, domain = running[0]
    stale = freshness_problem(fleet.facts(host)[0], max_age, datetime.datetime.now(datetime.timezone.utc))
    if stale:
        raise PolicyInputError("vm %s runs on %s, whose facts are stale: %s" % (vm, host, stale))
    problem = devices_problem(vm, host, domain)
    if problem:
        raise PolicyInputError(problem)
    return host, list(domain["mdevs"]) + list(domain["vfs"])
