# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The VMs of a host to evacuate, described as sources (PRIVATE to the collection).

Contract: ``source_vms(args, fleet, params)`` returns ``(source_host, [EvacuatedVm])``: the VMs
named in ``params["vms"]`` (each must run on the source and hold a device, else ``args.fail``
names it), or every running VM of the source that holds an mdev, a vendor-VFIO VF or another
host device. A VM that cannot be judged keeps a ``problem`` sentence and no sources: other host
devices, devices not all known, a device that cannot be described, a device listed twice or
shared with another VM, the VM also running on another host (split brain).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping, Sequence

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _source
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._targets import source_facts
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vm_source import devices_problem, vms_unknown_reason
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import PolicyInputError


class EvacuatedVm:
    """One VM of the source host and how the plan handles it."""

    def __init__(self, name, devices):
        self.name = name
        self.devices = devices
        self.sources = []
        self.signature = None
        self.problem = None
        self.alternatives = 0


def _holds_devices(domain):
    return bool(list(domain["mdevs"]) + list(domain.get("vfs") or []) + list(domain.get("other_hostdevs") or []))


def source_vms(args, fleet, params):
    """``(source_host, [EvacuatedVm])`` (see the module docstring)."""
    host = params["source_host"]
    facts = source_facts(args, fleet, host, params.get("max_age"))
    unknown = vms_unknown_reason(facts)
    if unknown:
        args.fail("source_host %s: its VMs are not known (%s); gather the libvirt subset of mdev_facts" % (host, unknown))
    domains = facts["domains"]
    names = params.get("vms")
    if names is None:
        names = sorted(n for n, d in domains.items() if d["active"] and _holds_devices(d))
    elif isinstance(names, str) or not isinstance(names, Sequence) or not all(isinstance(n, str) and n for n in names):
        args.fail("vms must be a list of VM names (libvirt domains), got %r" % (names,))
    vms = []
    for name in sorted(set(names)):
        domain = domains.get(name)
        if domain is None or not domain["active"]:
            args.fail("vm %s is not running on source_host %s%s" % (
                name, host, "" if domain is None else " (it is defined there but %s)" % domain.get("state")))
        vm = EvacuatedVm(name, list(domain["mdevs"]) + list(domain.get("vfs") or []))
        vm.problem = devices_problem(name, host, domain)
        if not _holds_devices(domain) and domain.get("vfs") is not None:
            args.fail(vm.problem)       # named by the user, and nothing to place
        vms.append(vm)
    _shared_devices(vms)
    for vm in vms:
        if not vm.problem:
            try:
                # host_problem already found nothing in these facts (vms_unknown_reason).
                vm.sources = [_source.from_facts(facts, d, host, checked=True) for d in vm.devices]
            except PolicyInputError as exc:
                vm.problem = "a device cannot be described: %s" % exc
    _split_brain(fleet, host, vms)
    return host, vms


def _shared_devices(vms):
    """A device listed twice, or held by two VMs, is a record to resolve first, not two instances to plan."""
    holders = {}
    for vm in vms:
        for device in vm.devices:
            holders.setdefault(device, []).append(vm.name)
    for vm in vms:
        shared = sorted(d for d in set(vm.devices) if len(holders[d]) > 1)
        if shared and not vm.problem:
            vm.problem = "its libvirt definition names %s more than once (in this VM or another: %s)" % (
                ", ".join(shared), ", ".join(sorted(set(n for d in shared for n in holders[d]))))


def _split_brain(fleet, source_host, vms):
    """A VM also active on another host is in no state to be moved (as ``migration_targets(vm=...)`` says)."""
    wanted = dict((vm.name, vm) for vm in vms)
    for host in fleet.names():
        if host == source_host:
            continue
        facts = fleet.facts(host)[0]
        libvirt = facts.get("libvirt") if isinstance(facts, Mapping) else None
        domains = facts.get("domains") if isinstance(facts, Mapping) else None
        # A cheap look, not a full validation of every host: any active copy of a wanted VM counts.
        if not isinstance(libvirt, Mapping) or libvirt.get("available") is not True or not isinstance(domains, Mapping):
            continue
        for name, domain in domains.items():
            if name in wanted and isinstance(domain, Mapping) and domain.get("active") is not False:
                wanted[name].problem = ("vm %s is also running on %s: a split-brain signal, or one machine under two "
                                        "inventory names; resolve it before evacuating" % (name, host))
                wanted[name].sources = []
