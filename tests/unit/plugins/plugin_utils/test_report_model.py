# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _report_model
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_model import build_report
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import SRC_UUID, source_host, target_host

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

    def richer(fleet_facts, policy="auto", probes=None, members=None):
        result = real(fleet_facts, policy, probes, members)
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
