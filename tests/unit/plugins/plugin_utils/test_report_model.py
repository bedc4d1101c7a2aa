# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _report_model
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import host_problem
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._probe_evidence import outcome_of
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_model import build_report
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_render import render_json
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_rows import Rows
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    PARENT,
    SRC_UUID,
    TYPE,
    probe_record,
    probe_result,
    source_host,
    target_host,
)

SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "report-schema.json")


def fleet():
    return {"src": source_host(), "full": target_host(available=0), "newer": target_host(version="v-551"),
            "gone": None}


def validate(report):
    jsonschema = pytest.importorskip("jsonschema")
    with open(SCHEMA) as handle:
        jsonschema.validate(report, json.load(handle), cls=jsonschema.Draft202012Validator)


def test_report_of_a_small_fleet():
    report = build_report(fleet(), generated_at="2026-11-27T00:00:00Z")
    validate(report)
    assert report["report_version"] == 2
    assert report["summary"]["hosts_without_facts"] == ["gone"]
    assert [h["status"] for h in report["hosts"]] == ["ok", "no facts", "ok", "ok"]
    assert [d["reserved"] for d in report["domains"]] == [0, 0]
    # the only other member of the source's domain has no free instance
    assert [(s["host"], s["device"], s["domain"]) for s in report["stranded"]] == [("src", SRC_UUID, "nvidia-222#1")]
    assert report["accepted"] == []


def test_stranded_and_accepted_from_the_policy(monkeypatch):
    real = _report_model.migration_domains

    def richer(fleet_facts, policy="auto", probes=None, members=None, compact=False):
        result = real(fleet_facts, policy, probes, members, compact)
        result["stranded"] = [{"host": "src", "parent": "0000:3b:00.0", "type_id": "nvidia-222", "device": SRC_UUID,
                               "reasons": ["no other host of the domain has a free instance"]}]
        result["accepted"] = [{"type_id": "nvidia-222", "from_version": "v-550", "to_version": "v-551",
                               "hosts": ["newer"], "complete": False}]
        for domain in result["domains"]:
            domain["stranded"] = []           # the top-level list is the one to follow
        result["domains"][0]["future_key"] = "ignored"
        return result

    monkeypatch.setattr(_report_model, "migration_domains", richer)
    report = build_report(fleet(), generated_at="2026-11-27T00:00:00Z")
    validate(report)
    assert report["stranded"][0]["reasons"] == ["no other host of the domain has a free instance"]
    assert report["stranded"][0]["domain"] == "nvidia-222#1"
    assert report["domains"][0]["stranded"] == [{"host": "src", "parent": "0000:3b:00.0", "device": SRC_UUID}]
    assert report["summary"]["stranded_devices"] == 1
    assert report["accepted"][0]["to_version"] == "v-551"
    assert "future_key" not in report["domains"][0]


def test_error_hosts():
    facts = target_host()
    facts["errors"] = [{"path": "/sys/x", "errno": "EIO", "message": "Input/output error"}]
    report = build_report({"a": facts})
    validate(report)
    assert report["hosts"][0]["status"] == "errors" and report["errors"][0]["host"] == "a"


def two_parents(version, other_version=None):
    """A host whose two parents offer the type, at ``version`` and ``other_version`` (default the same)."""
    data = target_host(version=version)
    data["parents"]["0000:3c:00.0"] = target_host(version=version if other_version is None else other_version)[
        "parents"][PARENT]
    return data


def test_drift_names_each_parent_of_the_host_off_the_common_version():
    """The parents of a drifting host are found after the fact, from the placements: both parents
    at the odd version are named, and a host at the common version is not listed (control)."""
    report = build_report({"a": target_host(version="v-550"), "b": target_host(version="v-550"),
                           "c": two_parents("v-551"), "d": two_parents("v-550", "v-551")})
    assert report["version_drift"] == [
        {"type_id": TYPE, "host": "c", "version": "v-551", "common_version": "v-550",
         "parents": [PARENT, "0000:3c:00.0"]},
        {"type_id": TYPE, "host": "d", "version": "v-551", "common_version": "v-550", "parents": ["0000:3c:00.0"]}]
    # A host with two parents is one host of the type, and of each version it runs.
    assert report["types"][0]["hosts"] == ["a", "b", "c", "d"]
    assert report["types"][0]["versions"] == {"v-550": ["a", "b", "d"], "v-551": ["c", "d"]}


def test_drift_without_a_majority_lists_every_host():
    report = build_report({"a": target_host(version="v-550"), "b": two_parents("v-551")})
    assert [(d["host"], d["version"], d["common_version"], d["parents"]) for d in report["version_drift"]] == [
        ("a", "v-550", None, [PARENT]), ("b", "v-551", None, [PARENT, "0000:3c:00.0"])]


@pytest.mark.parametrize("probed", [False, True])
def test_the_compact_report_renders_as_the_plain_one(probed):
    """The action's report holds placements and domain members as rows; written, it is the report
    the filter returns, byte for byte, and the filter's holds plain lists only."""
    data = dict(fleet(), c=two_parents("v-551"), d=two_parents("v-550", "v-551"))
    # Probed: every parent accepted both versions; "gone" was not probed.
    results = dict((host, probe_result(*[probe_record(v, parent_name=p) for v in ("v-550", "v-551")
                                         for p in (PARENT, "0000:3c:00.0")])) for host in data if data[host])
    probes = (lambda host: outcome_of(results.get(host), host)) if probed else None
    plain = build_report(data, "auto", probes, "2026-11-27T00:00:00Z")
    compact = build_report(data, "auto", probes, "2026-11-27T00:00:00Z", compact=True)
    assert isinstance(compact["types"][0]["placements"], Rows) and isinstance(compact["domains"][0]["members"], Rows)
    assert all(isinstance(t["placements"], list) for t in plain["types"])
    assert all(isinstance(d["members"], list) for d in plain["domains"])
    assert render_json(compact) == render_json(plain)
    assert json.loads(render_json(compact)) == json.loads(json.dumps(plain))
    # src, full, newer: one parent each; c and d: two.
    assert sum(len(t["placements"]) for t in plain["types"]) == 7
    assert sum(len(d["members"]) for d in plain["domains"]) == 7


@pytest.mark.parametrize("errors", [
    ["EIO"], "EIO", {"path": "/sys/x"}, [{"path": "/sys/x", "errno": 5, "message": "Input/output error"}],
    [{"path": {"/sys/x"}, "errno": "EIO", "message": "m"}],
], ids=["list of strings", "string", "mapping", "errno not a string", "path a set"])
def test_malformed_errors_leave_the_host_without_usable_facts(errors):
    """A traceback at the report's error list, before: the host is now one without usable facts."""
    facts = target_host()
    facts["errors"] = errors
    assert host_problem(facts) == "errors is not a list of read errors (each with path, errno and message strings)"
    control = target_host()
    control["errors"] = [{"path": "/sys/x", "errno": "EIO", "message": "Input/output error"}]
    assert host_problem(control) is None
    assert build_report({"a": control})["errors"] == [dict(control["errors"][0], host="a")]


def test_an_error_is_written_with_its_documented_keys_only():
    facts = target_host()
    facts["errors"] = [{"path": "/sys/x", "errno": "EIO", "message": "Input/output error", "extra": {1}}]
    report = build_report({"a": facts}, generated_at="2026-11-27T00:00:00Z")
    validate(report)
    assert report["errors"] == [{"host": "a", "path": "/sys/x", "errno": "EIO", "message": "Input/output error"}]
    assert json.loads(render_json(report))["errors"] == report["errors"]
