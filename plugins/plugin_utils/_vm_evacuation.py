# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Can each running VM leave its host? (PRIVATE to the collection).

Contract: ``vm_evacuation(fleet, context, judge)`` takes ``{host: facts}``, a ``JudgeContext``
and a ``_device_judge.DeviceJudge`` and returns ``{vms, hosts_unknown}``. ``vms``: one record per
active VM that holds mdevs or vendor-VFIO VFs, with ``evacuable`` true when at least one other
host would be selected by ``migration_targets(vm=...)`` with ``min_available=1`` (all its devices
on that one host, overlapping parents counted once, as ``_host_verdict.combine_devices``
counts them), false with the reasons otherwise, null when its devices cannot all be known.
``hosts_unknown``: hosts whose VMs are not known, with why. The same rule as everywhere: every
relation is a ``judge_device`` record, combined as the filter combines them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _source
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._host_verdict import combine_devices, host_level_problem
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vm_source import devices_problem, vms_unknown_reason
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import COMPATIBLE, PolicyInputError


def _record(host, name, domain, devices):
    return {"vm": name, "host": host, "state": domain.get("state"), "persistent": domain.get("persistent"),
            "devices": devices, "members": [], "evacuable": None, "targets": 0, "reasons": []}


def _takes_all(judge, sources, per_device, target):
    """Whether ``target`` takes every device of the VM at once (the filter's own combination)."""
    if any(records[target]["verdict"] != COMPATIBLE for records in per_device):
        return False
    if host_level_problem(sources, target, judge.fleet[target], judge.context) is not None:
        return False
    combined = combine_devices(target, [records[target] for records in per_device], sources)
    return combined["verdict"] == COMPATIBLE and combined["capacity"] >= 1


def _judge_vm(judge, record, facts):
    host = record["host"]
    try:
        sources = [_source.from_facts(facts, device, host) for device in record["devices"]]
    except PolicyInputError as exc:
        record.update(evacuable=False, reasons=["a device cannot be described: %s" % exc])
        return record
    record["members"] = [{"parent": s["parent"], "type_id": s["type_id"], "kind": s["kind"]} for s in sources]
    per_device = [judge.records(source) for source in sources]
    record["targets"] = sum(1 for target in sorted(judge.fleet)
                            if target != host and _takes_all(judge, sources, per_device, target))
    record["evacuable"] = record["targets"] > 0
    if record["evacuable"]:
        return record
    if len(sources) == 1:
        record["reasons"] = judge.stranded_reasons(sources[0], host)
        return record
    each = ["%s: %s" % (s["device"], ", ".join(h for h in sorted(judge.fleet) if h != host and judge.fits(s, h)) or "none")
            for s in sources]
    record["reasons"] = ["no other host can take all %d of its devices at once (hosts that take each alone: %s)"
                         % (len(sources), "; ".join(each))]
    return record


def vm_evacuation(fleet, context, judge):
    """``{vms, hosts_unknown}`` (see the module docstring)."""
    vms, unknown, active_on = [], [], {}
    for host in sorted(fleet):
        facts = fleet[host]
        why = vms_unknown_reason(facts, problem_of=context.host_problem)
        if why is not None:
            unknown.append({"host": host, "reason": why})
            continue
        for name, domain in sorted(facts["domains"].items()):
            if domain["active"]:
                active_on.setdefault(name, []).append(host)
            if not domain["active"] or not list(domain["mdevs"]) + list(domain.get("vfs") or []) \
                    + list(domain.get("other_hostdevs") or []):
                continue
            record = _record(host, name, domain, list(domain["mdevs"]) + list(domain.get("vfs") or []))
            problem = devices_problem(name, host, domain)
            if problem:
                record["reasons"] = [problem]        # evacuable stays null: not all of it can be judged
            else:
                _judge_vm(judge, record, facts)
            vms.append(record)
    _split_brain(vms, active_on)
    return {"vms": vms, "hosts_unknown": unknown}


def _split_brain(vms, active_on):
    """A VM active on two hosts is in no state to be evacuated: as ``migration_targets(vm=...)``
    refuses it, the report does not call any copy evacuable."""
    for vm in vms:
        hosts = active_on[vm["vm"]]
        if len(hosts) > 1:
            vm.update(evacuable=None, targets=0, reasons=[
                "running on %d hosts (%s): a split-brain signal, or one machine under several inventory names"
                % (len(hosts), ", ".join(hosts))])
