# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller-side glue between Jinja arguments and the pure policy (PRIVATE to the collection).

Validates filter arguments against a small spec, reads mdev facts out of ``hostvars`` (lazy,
tagged values in ansible-core 2.19+), compiles the user's JMESPath once, and turns every
malformed input into an ``AnsibleFilterError`` that names the argument.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.vfio.mdev_migration.plugins.module_utils import _policy as policy
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._ansible_compat import (  # noqa: F401 to_plain is used by other plugins
    host_raw_vars,
    is_hostvars,
    plain_args,
    to_plain,
)

try:
    import jmespath
    HAS_JMESPATH = True
except ImportError:  # pragma: no cover - reported when a where expression is used
    jmespath = None
    HAS_JMESPATH = False


def validate(plugin, spec, params):
    """Validate keyword arguments against an argument spec; raise AnsibleFilterError naming them."""
    result = ArgumentSpecValidator(spec).validate(plain_args(params))
    if result.error_messages:
        raise AnsibleFilterError("%s: %s" % (plugin, "; ".join(result.error_messages)))
    return result.validated_parameters


def fail(plugin, message):
    raise AnsibleFilterError("%s: %s" % (plugin, message))


def host_entry(data, host):
    try:
        return data[host]
    except (KeyError, TypeError):
        return None


def facts_for(data, host):
    """The mdev facts of ``host`` in ``data``, or None.

    Through ``hostvars``, facts are read with ``HostVars.raw_get``: facts are data returned by
    modules and never templates, and fetching them through ``hostvars[host][...]`` would template
    every value of every host (seconds for thousands of hosts).
    """
    if is_hostvars(data):
        return policy.mdev_facts_of(host_raw_vars(data, host))
    return policy.mdev_facts_of(host_entry(data, host))


def compile_where(plugin, expression):
    """A callable (host, facts, source, parent) -> bool for the user's JMESPath, or None.

    The record the expression sees: ``host``, ``parent`` (its name), ``type_id``,
    ``parent_facts`` (the parent's facts without its types, or the GPU's for a vendor-VFIO VF),
    ``type`` (the type's facts, for mdev), ``kernel_release``.
    """
    if expression is None:
        return None
    if not HAS_JMESPATH:
        fail(plugin, "the where argument needs the Python library jmespath on the controller (pip install jmespath)")
    try:
        compiled = jmespath.compile(str(expression))
    except jmespath.exceptions.JMESPathError as exc:
        fail(plugin, "where: invalid JMESPath expression %r: %s" % (str(expression), exc))

    def matches(host, facts, source, parent_name):
        if source["kind"] == "vendor_vfio":
            vfs = [vf for vf in (facts.get("vendor_vfio") or {}).values() if vf.get("physfn") == parent_name]
            parent_facts = dict(vfs[0]) if vfs else {}
            mtype = None
        else:
            parent = (facts.get("parents") or {}).get(parent_name) or {}
            parent_facts = dict((k, v) for k, v in parent.items() if k != "types")
            mtype = (parent.get("types") or {}).get(source["type_id"])
        record = to_plain({"host": host, "parent": parent_name, "type_id": source["type_id"],
                           "parent_facts": parent_facts, "type": mtype,
                           "kernel_release": facts.get("kernel_release")})
        try:
            return bool(compiled.search(record))
        except jmespath.exceptions.JMESPathError as exc:
            fail(plugin, "where: %r failed on host %s: %s" % (str(expression), host, exc))
    return matches


def probe_records(data, host, probes):
    """Probe result records for ``host`` from a mapping host -> registered result, or from the
    registered variable named ``probes`` in that host's hostvars."""
    if probes is None:
        return None
    if isinstance(probes, str):
        entry = host_entry(data, host)
        registered = entry.get(probes) if isinstance(entry, Mapping) else None
    else:
        registered = probes.get(host)
    if registered is None:
        return None
    if isinstance(registered, Mapping):
        registered = registered.get("results")
    if registered is None:
        return None
    if not isinstance(registered, Sequence) or isinstance(registered, str):
        raise AnsibleFilterError("probes: the result for host %s is neither a registered mdev_version_probe result "
                                 "nor a list of its result records" % host)
    return [r for r in registered if isinstance(r, Mapping)]


def host_names(plugin, data, candidates):
    if candidates is None:
        try:
            return sorted(str(h) for h in data)
        except TypeError:
            fail(plugin, "the input must be hostvars or a mapping of host names to mdev facts")
    if isinstance(candidates, str) or not isinstance(candidates, Sequence):
        fail(plugin, "candidates must be a list of host names")
    return [str(h) for h in candidates]


def fleet_and_accepts(plugin, data, hosts, probes):
    """host -> mdev facts (None without facts) for ``hosts``, and the accepted probe records."""
    if not isinstance(data, Mapping):
        fail(plugin, "the input must be hostvars or a mapping of host names to mdev facts, got %s" % type(data).__name__)
    if probes is not None and not isinstance(probes, (str, Mapping)):
        fail(plugin, "probes must be the name of a registered variable or a mapping of host to probe result")
    fleet, accepts = {}, []
    for host in host_names(plugin, data, hosts):
        facts = facts_for(data, host)
        # Malformed facts count as none: a report must not rest on them.
        fleet[host] = facts if facts is not None and policy.facts_problem(facts) is None else None
        for rec in probe_records(data, host, probes) or []:
            if rec.get("verdict") == policy.COMPATIBLE:
                accepts.append({"host": host, "parent": rec.get("parent"), "type_id": rec.get("type_id"),
                                "source_version": rec.get("source_version")})
    return fleet, accepts


TARGETS_SPEC = {
    "source_host": {"type": "str"},
    "device": {"type": "raw"},
    "type_id": {"type": "str"},
    "version": {"type": "str"},
    "identity": {"type": "dict"},
    "candidates": {"type": "list", "elements": "str"},
    "policy": {"type": "str", "default": "auto", "choices": list(policy.POLICIES)},
    "min_available": {"type": "int", "default": 1},
    "match_vars": {"type": "list", "elements": "str", "default": []},
    "where": {"type": "str"},
    "probes": {"type": "raw"},
    "details": {"type": "bool", "default": False},
}


def build_sources(plugin, data, params):
    """The source device(s) described by the arguments."""
    device = params["device"]
    if params["source_host"] is not None:
        if params["type_id"] is not None or params["version"] is not None or params["identity"] is not None:
            fail(plugin, "give either source_host with device, or type_id with version and identity, not both")
        if device is None:
            fail(plugin, "source_host needs device (an mdev UUID, a vendor-VFIO VF address, or a list of them)")
        devices = [device] if isinstance(device, str) else device
        if not isinstance(devices, Sequence) or not devices or not all(isinstance(d, str) for d in devices):
            fail(plugin, "device must be a string or a non-empty list of strings")
        facts = facts_for(data, params["source_host"])
        if host_entry(data, params["source_host"]) is None:
            fail(plugin, "source_host %r is not in the input" % params["source_host"])
        try:
            return [policy.source_from_facts(facts, str(d), params["source_host"]) for d in devices]
        except policy.PolicyInputError as exc:
            fail(plugin, str(exc))
    if params["type_id"] is None:
        fail(plugin, "give the source as source_host with device, or as type_id (with version and identity)")
    if device is not None:
        fail(plugin, "device needs source_host")
    if params["match_vars"]:
        fail(plugin, "match_vars compares host variables and needs source_host")
    try:
        return [policy.source_from_description(params["type_id"], params["version"], params["identity"])]
    except policy.PolicyInputError as exc:
        fail(plugin, str(exc))


def migration_targets(data, plugin="migration_targets", **kwargs):
    """The filter's work, shared with the test plugin: validated arguments in, records out."""
    if not isinstance(data, Mapping):
        fail(plugin, "the input must be hostvars or a mapping of host names to mdev facts, got %s"
             % type(data).__name__)
    params = validate(plugin, TARGETS_SPEC, kwargs)
    if params["min_available"] < 0:
        fail(plugin, "min_available must be 0 or more")
    probes = params["probes"]
    if probes is not None and not isinstance(probes, (str, Mapping)):
        fail(plugin, "probes must be the name of a registered variable or a mapping of host to probe result")
    sources = build_sources(plugin, data, params)
    where = compile_where(plugin, params["where"])
    source_vars = host_entry(data, params["source_host"]) if params["source_host"] else None
    records = []
    for host in host_names(plugin, data, params["candidates"]):
        if host == params["source_host"]:
            continue
        facts = facts_for(data, host)
        records_for_probe = probe_records(data, host, probes)
        per_device = [policy.evaluate_device(src, host, facts, params["policy"], records_for_probe, where)
                      for src in sources]
        record = policy.combine_devices(host, per_device, sources)
        if params["match_vars"] and facts is not None:
            verdict, reasons = policy.match_host_vars(params["match_vars"], source_vars, host_entry(data, host))
            if verdict is not None and policy.VERDICT_RANK[verdict] > policy.VERDICT_RANK[record["verdict"]]:
                record["verdict"] = verdict
                record["evidence"] = policy.EVIDENCE_POLICY if verdict == policy.INCOMPATIBLE else policy.EVIDENCE_UNKNOWN
            record["reasons"] = record["reasons"] + reasons
        records.append(record)
    return policy.select(records, params["min_available"]), params
