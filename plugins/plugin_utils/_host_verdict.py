# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One target host against the source devices: the host's record (PRIVATE to the collection).

Contract: ``judge_host(sources, host, facts, context)`` returns ``{host, verdict, evidence,
parents, capacity, reasons}`` (plus ``devices`` for several sources, ``free_vfs`` for a
vendor-VFIO source). Host-level rules come first (no facts, malformed, stale, the source's own
machine), then the pair rule for every parent, probe evidence, the ``where`` expression, and
``match_vars``. The host's evidence is its best parent's; its capacity is the free capacity of
the parents that carry that same verdict and evidence, never of the others.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _facts_shape as shape
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._pair_rule import decide_gpu, decide_mdev_parent
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._probe_evidence import apply_probe
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._reservations import Reservations
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._source import versions_to_probe
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import (
    EVIDENCE_POLICY,
    EVIDENCE_RANK,
    INCOMPATIBLE,
    KIND_VENDOR_VFIO,
    NO_FACTS,
    UNKNOWN,
    VERDICT_RANK,
    decision,
)


class JudgeContext:
    """What every host of one selection is judged with."""

    def __init__(self, policy="auto", where=None, probes=None, max_age=None, now=None, match_vars=(),
                 source_vars=None, host_problem=None):
        self.policy = policy
        self.where = where                  # callable (host, facts, source, parent) -> bool, or None
        self.probes = probes                # callable host -> probe outcome, or None when no probe was asked
        self.max_age = max_age
        self.now = now
        self.match_vars = list(match_vars)
        self.source_vars = source_vars
        self.host_problem = host_problem or shape.host_problem     # or a memo of it for one call


def _host_record(host, verdict, evidence, reasons, why=None):
    """A host's record; ``why`` is the one reason that carries the verdict (for one-line summaries)."""
    return dict(decision(verdict, evidence, reasons), host=host, parents=[], capacity=0, reserved={},
                why=why or (reasons[0] if reasons else None))


def host_level_problem(sources, host, facts, context):
    """A record for a host that cannot be judged parent by parent, or None."""
    return host_facts_problem(host, facts, context) or sources_problem(sources, host, facts)


def host_facts_problem(host, facts, context):
    """A record for a host whose facts cannot be used at all (none, malformed, stale), or None."""
    if facts is None:
        return _host_record(host, UNKNOWN, None, [NO_FACTS])
    problem = context.host_problem(facts)
    if problem:
        return _host_record(host, UNKNOWN, None, ["malformed mdev facts: %s" % problem])
    problem = shape.freshness_problem(facts, context.max_age, context.now)
    if problem:
        return _host_record(host, UNKNOWN, None, ["stale facts: %s" % problem])
    return None


def sources_problem(sources, host, facts, clash=True):
    """A record for a host (with usable facts) that cannot take these sources whatever its parents
    say: the source's own machine, devices not gathered, (``clash``) a device's UUID held or defined
    in mdevctl (``_facts_shape.uuid_in_use``), or mdevctl definitions that could not be read."""
    for source in sources:
        for key, label in (("machine_id", "machine-id"), ("boot_id", "boot id")):
            if source.get(key) is not None and source.get(key) == facts.get(key):
                return _host_record(host, INCOMPATIBLE, EVIDENCE_POLICY, [
                    "this is the source's own machine under another name (same %s %s as %s)"
                    % (label, facts[key], source["host"])])
        if source["kind"] != KIND_VENDOR_VFIO and not shape.subset_gathered(facts, "devices"):
            return _host_record(host, UNKNOWN, None, [
                "devices were not gathered on the target (gather_subset), so a clash with the source device's UUID "
                "cannot be ruled out"])
        use = shape.uuid_in_use(facts, source.get("device")) if clash else None
        if use == "holds":
            return _host_record(host, INCOMPATIBLE, EVIDENCE_POLICY, [
                "the host already holds an mdev with the source device's UUID %s (the source itself under another "
                "name, or a clash)" % source["device"]])
        if use == "defines":
            return _host_record(host, INCOMPATIBLE, EVIDENCE_POLICY, [
                "mdevctl on the host already defines an mdev with the source device's UUID %s (%s): a leftover or a "
                "clash (gate before the device is prepared on the target)" % (
                    source["device"], shape.definition_places(facts, source["device"]))])
        # Whatever ``clash`` says: the planner looks for a clash in what was read, and cannot see this.
        unseen = shape.definitions_unseen(facts) if source["kind"] != KIND_VENDOR_VFIO else None
        if unseen:
            return _host_record(host, UNKNOWN, None, [
                "%s, so a definition of the source device's UUID %s there cannot be ruled out" % (
                    unseen, source.get("device"))])
    return None


def _parent_decisions(source, facts, policy, only=None):
    """Offline decisions for every parent (or GPU) of the host that could take ``source``, or for
    parent ``only`` alone (each parent is decided on its own, so the others change nothing)."""
    kernel = facts.get("kernel_release")
    if source["kind"] == KIND_VENDOR_VFIO:
        if not shape.subset_gathered(facts, "vendor_vfio"):
            return None, "vendor_vfio facts were not gathered on the target (gather_subset)"
        gpus, problem = shape.gpus_of(facts)
        if problem:
            return None, "malformed mdev facts: %s" % problem
        if not gpus:
            return [], "the host has no NVIDIA vendor-VFIO virtual functions"
        return [decide_gpu(source, physfn, gpus[physfn], kernel, policy) for physfn in sorted(gpus)
                if only is None or physfn == only], None
    if not shape.subset_gathered(facts, "types"):
        return None, "mdev types were not gathered on the target (gather_subset)"
    results = []
    reservations = Reservations(facts)
    for name in sorted(facts.get("parents") or {}) if only is None else [only]:
        parent = (facts.get("parents") or {}).get(name) or {}
        mtype = (parent.get("types") or {}).get(source["type_id"])
        if mtype is None:
            continue
        problem = shape.type_problem("parents.%s.types.%s" % (name, source["type_id"]), mtype)
        if problem:
            results.append(dict(decision(UNKNOWN, None, ["malformed mdev facts: %s" % problem]), parent=name,
                                capacity=0))
            continue
        results.append(reserve(decide_mdev_parent(source, name, parent, mtype, kernel, policy), reservations,
                               name, source["type_id"]))
    return results, "no parent offers mdev type %s" % source["type_id"]


def reserve(result, reservations, parent, type_id):
    """Take from a parent's decision the instances mdevctl will create at the next boot."""
    same, other, unknown = reservations.on(parent, type_id)
    result["reserved"] = {parent: same + other}
    if unknown:
        result["reserved"] = {}
        if result["verdict"] != INCOMPATIBLE:
            result.update(decision(UNKNOWN, None, ["%s: its free instances may be promised to a definition" % unknown]
                                   + result["reasons"]))
            result["probe_decides"] = False
        return result
    if other:
        result["reasons"].append(
            "%d mdevctl auto-start definition(s) of other types will take this parent at the next boot, and a parent "
            "that takes one type cannot be assumed to take another: no free instance of %s is counted" % (other, type_id))
        result["capacity"] = 0
    elif same:
        result["reasons"].append("%d of its %d free instance(s) of %s are reserved by mdevctl auto-start definitions"
                                 % (min(same, result["capacity"]), result["capacity"], type_id))
        result["capacity"] = max(0, result["capacity"] - same)
    return result


def _best(results):
    """The parents that carry the host's verdict: best verdict, then best evidence among them."""
    best = min(results, key=lambda r: (VERDICT_RANK[r["verdict"]], EVIDENCE_RANK[r["evidence"]]))
    return [r for r in results if (r["verdict"], r["evidence"]) == (best["verdict"], best["evidence"])]


def parent_results(source, host, facts, context, only=None):
    """``(decisions, reason)``: every parent's decision (or parent ``only``'s) with probe evidence
    and ``where`` laid over it; decisions is None (unknown) or empty (incompatible) with the reason."""
    results, empty_reason = _parent_decisions(source, facts, context.policy, only)
    if not results:
        return results, empty_reason
    if context.probes is not None:
        outcome = context.probes(host)
        versions = versions_to_probe(source)
        results = [apply_probe(r, outcome, source, versions) for r in results]
    if context.where is not None:
        for result in results:
            if result["verdict"] != INCOMPATIBLE and not context.where(host, facts, source, result["parent"]):
                result.update(decision(INCOMPATIBLE, EVIDENCE_POLICY, ["parent %s does not satisfy the where "
                                                                       "expression" % result["parent"]]))
    return results, None


def judge_device(source, host, facts, context):
    """The host's record for one source device (host-level checks already passed)."""
    return judge_device_parents(source, host, facts, context)[0]


def judge_device_parents(source, host, facts, context):
    """``(record, decisions)``: the host's record for one source device, and the decision of every
    parent behind it (a plan places devices parent by parent)."""
    results, empty_reason = parent_results(source, host, facts, context)
    if results is None:
        return _host_record(host, UNKNOWN, None, [empty_reason]), []
    if not results:
        return _host_record(host, INCOMPATIBLE, EVIDENCE_POLICY, [empty_reason]), []
    fitting = _best(results)
    record = _host_record(host, fitting[0]["verdict"], fitting[0]["evidence"],
                          ["%s: %s" % (r["parent"], reason) for r in results for reason in r["reasons"]],
                          "%s: %s" % (fitting[0]["parent"], (fitting[0]["reasons"] or ["no reason recorded"])[0]))
    record["parents"] = [r["parent"] for r in fitting]
    record["capacity"] = sum(r["capacity"] for r in fitting)
    record["reserved"] = {p: n for r in fitting for p, n in r.get("reserved", {}).items() if n}
    if source["kind"] == KIND_VENDOR_VFIO:
        record["free_vfs"] = [vf for r in fitting for vf in r.get("free_vfs", [])]
    return record, results


def combined_verdict(per_device, sources):
    """``(verdict, evidence, why)`` of several source devices on one host: the worst device's.
    All a plan needs of a host's record when no ``match_vars`` are given (see ``combine_devices``)."""
    worst = max(per_device, key=lambda r: (VERDICT_RANK[r["verdict"]], EVIDENCE_RANK[r["evidence"]]))
    worst_source = sources[per_device.index(worst)]
    return worst["verdict"], worst["evidence"], "%s: %s" % (worst_source["device"] or worst_source["type_id"],
                                                            worst["why"])


def combine_devices(host, per_device, sources):
    """One host record for several source devices: the target must fit all of them."""
    if len(per_device) == 1:
        return per_device[0]
    verdict, evidence, why = combined_verdict(per_device, sources)
    record = _host_record(host, verdict, evidence,
                          ["%s: %s" % (s["device"] or s["type_id"], reason)
                           for r, s in zip(per_device, sources) for reason in r["reasons"]], why)
    record["parents"] = sorted(set(p for r in per_device for p in r["parents"]))
    # Devices whose fitting parents overlap draw on the same instances (or free VFs): a parent
    # that takes one type cannot be assumed to take another, so each device counts against all.
    sharing = [sum(1 for other in per_device if set(other["parents"]) & set(r["parents"])) or 1 for r in per_device]
    record["capacity"] = min(r["capacity"] // n for r, n in zip(per_device, sharing))
    record["reserved"] = {p: n for r in per_device for p, n in r.get("reserved", {}).items()}
    record["devices"] = {s["device"] or s["type_id"]: {k: r[k] for k in ("verdict", "evidence", "parents", "capacity")}
                         for r, s in zip(per_device, sources)}
    return record


def _defined(found):
    """``(value,)`` of a host variable, or None when it is undefined, null or omitted."""
    if found is None or found[0] is None:
        return None
    if isinstance(found[0], str) and found[0].startswith("__omit_place_holder__"):
        return None
    return found


def match_host_vars(names, source_vars, target_vars, get):
    """Compare user-chosen host variables (dotted paths). Returns (verdict or None, reasons)."""
    reasons, verdict = [], None
    for name in names:
        src, dst = _defined(get(source_vars, name)), _defined(get(target_vars, name))
        if src is None or dst is None:
            reasons.append("match_vars: %s is not defined on the %s" % (name, "source" if src is None else "target"))
            verdict = verdict or UNKNOWN
        elif type(src[0]) is not type(dst[0]) or src[0] != dst[0]:
            reasons.append("match_vars: %s differs: source %s, target %s" % (name, src[0], dst[0]))
            verdict = INCOMPATIBLE
    return verdict, reasons


def judge_host(sources, host, facts, context, target_vars=None, get=None):
    """The record of ``host`` for all ``sources`` (the devices of one VM)."""
    record = host_level_problem(sources, host, facts, context)
    if record is None:
        record = combine_devices(host, [judge_device(s, host, facts, context) for s in sources], sources)
    return apply_match_vars(record, facts, context, target_vars, get)


def apply_match_vars(record, facts, context, target_vars, get):
    """``record`` with the verdict of ``context.match_vars`` laid over it."""
    if context.match_vars and facts is not None:
        verdict, reasons = match_host_vars(context.match_vars, context.source_vars, target_vars, get)
        if verdict is not None and VERDICT_RANK[verdict] > VERDICT_RANK[record["verdict"]]:
            record.update(decision(verdict, EVIDENCE_POLICY, record["reasons"]))
            record["why"] = next(r for r in reasons if (verdict == UNKNOWN) == ("not defined" in r))
        record["reasons"] = record["reasons"] + reasons
    return record
