# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the argument checks, probe outcomes, ranking and version parsing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vfio.mdev_migration.plugins.filter import migration_targets as targets_plugin
from ansible_collections.vfio.mdev_migration.plugins.filter.mdev_version_parse import FilterModule as ParseFilters
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._plugin_args import PluginArgs
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._probe_evidence import outcome_of
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._ranking import select
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import PolicyInputError
from ansible_collections.vfio.mdev_migration.plugins.test.mdev_compatible import TestModule as CompatibleTests
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    SRC_UUID,
    accepted,
    hostvars,
    probe_loop,
    probe_record,
    probe_result,
    source_host,
    target_host,
)

parse = ParseFilters().filters()["mdev_version_parse"]
compatible = CompatibleTests().tests()["mdev_compatible"]

DOC = """
name: sample
positional: first, second
options:
  _input: {type: dict}
  first: {type: str}
  second: {type: raw}
  count: {type: int, default: 1}
  flag: {type: bool, default: false}
"""


# ---- _plugin_args --------------------------------------------------------------------------------

def test_positional_mapping_and_defaults():
    args = PluginArgs(DOC)
    params = args.validate(("a", ["b"]), {"count": 3})
    assert (params["first"], params["second"], params["count"], params["flag"]) == ("a", ["b"], 3, False)
    assert args.validate(("a",), {})["second"] is None


@pytest.mark.parametrize("args, kwargs, message", [
    (("a", "b", "c"), {}, "at most 2 positional"),
    (("a",), {"first": "b"}, "first given both by position and by name"),
    ((), {"colour": "red"}, "unknown argument(s) colour"),
    ((), {"_input": {}}, "unknown argument(s) _input"),
    ((), {"count": True}, "'count' must be an integer, got a boolean"),
    ((), {"count": "many"}, "count"),
])
def test_refusals_are_prefixed_with_the_fqcn(args, kwargs, message):
    with pytest.raises(AnsibleFilterError) as exc:
        PluginArgs(DOC).validate(args, kwargs)
    assert str(exc.value).startswith("vfio.mdev_migration.sample: ") and message in str(exc.value)


def test_migration_targets_refuses_a_bool_for_min_available():
    data = hostvars(src=source_host(), t=target_host())
    with pytest.raises(AnsibleFilterError, match="^vfio.mdev_migration.migration_targets: argument 'min_available'"):
        targets_plugin.migration_targets(data, "src", SRC_UUID, min_available=True)
    with pytest.raises(AnsibleFilterError, match="max_age"):
        targets_plugin.migration_targets(data, "src", SRC_UUID, max_age=False)


def test_the_test_plugin_no_longer_accepts_candidates():
    ctx = {"hostvars": hostvars(src=source_host(), t=target_host())}
    assert compatible(ctx, "t", "src", SRC_UUID) is True
    with pytest.raises(AnsibleFilterError, match="^vfio.mdev_migration.mdev_compatible: unknown argument.*candidates"):
        compatible(ctx, "t", "src", SRC_UUID, candidates=["t"])
    with pytest.raises(AnsibleFilterError, match="^vfio.mdev_migration.mdev_compatible: .*source_host"):
        compatible(ctx, "t")


# ---- _probe_evidence.outcome_of ------------------------------------------------------------------

R1, R2 = probe_record("v1"), probe_record("v2", "incompatible")


@pytest.mark.parametrize("registered, status, records, message", [
    (None, "missing", [], "not probed"),
    (probe_result(R1, R2), "ok", [R1, R2], None),
    (probe_result(), "ok", [], None),
    ([R1], "ok", [R1], None),
    ([], "ok", [], None),
    ({"failed": True, "msg": "boom", "records": [R1]}, "failed", [], "boom"),
    ({"unreachable": True, "msg": "ssh timeout"}, "unreachable", [], "ssh timeout"),
    ({"skipped": True, "changed": False}, "skipped", [], "skipped"),
    ({"skipped": True, "results": [{"skipped": True}]}, "skipped", [], "skipped"),
    (probe_loop(probe_result(R1), probe_result(R2)), "ok", [R1, R2], None),
    (probe_loop(probe_result(R1), {"failed": True, "msg": "item"}), "failed", [R1], "loop item 1"),
    (probe_loop({"skipped": True}, {"unreachable": True, "msg": "x"}), "failed", [], "loop item 0"),
    (probe_loop(), "ok", [], None),
])
def test_outcome_of_every_registered_shape(registered, status, records, message):
    outcome = outcome_of(registered, "h1")
    assert outcome["status"] == status and outcome["records"] == records
    if message is None:
        assert outcome["message"] is None
    else:
        assert message in outcome["message"]


@pytest.mark.parametrize("registered, message", [
    ({"changed": False}, "no records"),
    ({"results": "x"}, "no records"),
    ("records", "neither"),
    (5, "neither"),
    ([{"verdict": "compatible"}], "item 0 is not a probe record"),
    ([R1, "x"], "item 1"),
    ({"records": None}, "neither"),
    (probe_loop("x"), "loop item 0 is not a task result"),
    (probe_loop({"changed": False}), "loop item 0 is not a result of mdev_version_probe"),
    (probe_loop(probe_result(R1, {"a": 1})), "the result for host h1: loop item 0: item 1 is not a probe record"),
])
def test_outcome_of_refuses_what_is_no_probe_result(registered, message):
    with pytest.raises(PolicyInputError) as exc:
        outcome_of(registered, "h1")
    assert message in str(exc.value) and str(exc.value).count("h1") == 1


def test_a_malformed_probe_result_is_a_filter_error_naming_probes():
    data = hostvars(src=source_host(), t=target_host())
    with pytest.raises(AnsibleFilterError, match="^vfio.mdev_migration.migration_targets: probes: .* host t"):
        targets_plugin.migration_targets(data, "src", SRC_UUID, probes={"t": {"changed": False}})
    assert targets_plugin.migration_targets(data, "src", SRC_UUID, probes={"t": accepted("v-550")}) == ["t"]


# ---- _ranking ------------------------------------------------------------------------------------

def test_ranking_evidence_first_then_capacity_then_name():
    def rec(host, verdict, evidence, capacity):
        return {"host": host, "verdict": verdict, "evidence": evidence, "capacity": capacity, "reasons": []}
    records = [rec("p1", "compatible", "policy", 9), rec("v1", "compatible", "version", 1),
               rec("pr", "compatible", "probe", 1), rec("v3", "compatible", "version", 3),
               rec("v3b", "compatible", "version", 3), rec("full", "compatible", "probe", 0),
               rec("u", "unknown", "unknown", 9), rec("i", "incompatible", "policy", 9)]
    ranked = select(records, 1)
    assert [(r["host"], r["rank"]) for r in ranked] == [
        ("pr", 1), ("v3", 2), ("v3b", 3), ("v1", 4), ("p1", 5), ("full", None), ("i", None), ("u", None)]
    assert any("min_available" in r for r in ranked[5]["reasons"])
    assert [r["host"] for r in select(records, 0) if r["selected"]][-1] == "p1"
    assert [r["host"] for r in select(records, 10) if r["selected"]] == []


# ---- mdev_version_parse --------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["00028086-193b-i915-GVTg_V5_4\n", "8086-591d-i915-GVTg_V5_8-0000000a\n",
                                  "00028086-193b-i915\n-GVTg", " 00028086-193b-i915-GVTg_V5_4"])
def test_a_trailing_newline_or_space_is_opaque(text):
    assert parse(text)["format"] == "opaque" and parse(text)["raw"] == text
    assert parse(text.strip())["format"] in ("rfc_v1", "gvt_v5") or "\n-" in text


def test_parse_refuses_arguments():
    with pytest.raises(AnsibleFilterError, match="^vfio.mdev_migration.mdev_version_parse: "):
        parse("v1", "extra")
