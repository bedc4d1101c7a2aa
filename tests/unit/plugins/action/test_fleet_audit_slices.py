# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sliced audits: partial reports per slice, merged into the report a single run writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

import pytest
from ansible.errors import AnsibleError

from ansible_collections.vfio.mdev_migration.plugins.action.fleet_audit_report import _load_partial, remove_merged
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_render import generated_at_of
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.action.test_fleet_audit_report import run, snapshot
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    accepted,
    hostvars,
    probe_record,
    probe_result,
    source_host,
    target_host,
)

SLICES = {"1": ["src", "same"], "2": ["newer", "bad"], "3": ["gone", "far"]}


def fleet():
    data = hostvars(src=source_host(), same=target_host(available=2), newer=target_host(version="v-551"),
                    far=target_host(version="v-551", available=3), gone=None,
                    bad={"schema_version": 1, "parents": {"x": 7}})
    # Probe answers of every kind: accepted, refused, a failed task and a host never probed (gone, bad).
    data["src"]["probe"] = accepted("v-550", "v-551")
    data["same"]["probe"] = accepted("v-550")
    data["newer"]["probe"] = probe_result(probe_record("v-550", verdict="incompatible"), probe_record("v-551"))
    data["far"]["probe"] = {"failed": True, "msg": "Permission denied"}
    return data


def write_slices(tmp_path, data, probes="probe", slices=None, **extra):
    paths = []
    for slice_id, hosts in sorted((slices or SLICES).items()):
        args = dict({"dest": str(tmp_path), "partial": True, "slice": slice_id, "hosts": hosts}, **extra)
        if probes:
            args["probes"] = probes
        result = run(args, data)
        assert result["files"] == [str(tmp_path / ("mdev-audit.partial-%s.json" % slice_id))]
        assert result["summary"]["hosts"] == len(hosts) and result["summary"]["slice"] == slice_id
        paths.extend(result["files"])
    return paths


@pytest.mark.parametrize("probes", ["probe", None])
def test_merged_report_is_the_single_run_report(tmp_path, probes):
    data = fleet()
    single, sliced = tmp_path / "single", tmp_path / "sliced"
    args = {"dest": str(single)}
    if probes:
        args["probes"] = probes
    run(args, data)
    merged = run({"dest": str(sliced), "merge_from": write_slices(sliced, data, probes), "expect_slices": 3}, data={})
    one = json.loads((single / "mdev-audit.json").read_text())
    other = json.loads((sliced / "mdev-audit.json").read_text())
    assert one.pop("generated_at") != "" and other.pop("generated_at") == merged["generated_at"]
    assert other == one
    assert one["summary"]["hosts"] == 6 and one["summary"]["hosts_without_facts"] == ["bad", "gone"]
    # The other formats too, apart from the time stamp.
    for name, fmt in (("mdev-audit.md", "markdown"), ("mdev-audit.html", "html")):
        texts = [(d / name).read_text() for d in (single, sliced)]
        assert [t.replace(generated_at_of(fmt, t), "") for t in texts[1:]] == [texts[0].replace(
            generated_at_of(fmt, texts[0]), "")]


def test_the_probe_outcomes_travel_with_the_slices(tmp_path):
    """Negative control for the test above: the merged report rests on the slices' probe answers;
    the same slices without them give another report (the test would catch outcomes lost)."""
    data = fleet()
    reports = []
    for name, probes in (("a", "probe"), ("b", None)):
        run({"dest": str(tmp_path / name), "merge_from": write_slices(tmp_path / name, data, probes)}, data={})
        reports.append(json.loads((tmp_path / name / "mdev-audit.json").read_text()))
    assert [r["probed"] for r in reports] == [True, False]
    assert any(d["evidence"] == "probe" for d in reports[0]["domains"])
    assert reports[0]["domains"] != reports[1]["domains"]


def test_partial_report_holds_facts_and_outcomes_not_verdicts(tmp_path):
    (path,) = write_slices(tmp_path, fleet(), slices={"a-1": ["newer", "far", "gone"]})
    partial = json.loads(open(path).read())
    assert sorted(partial["hosts"]) == ["far", "gone", "newer"] and partial["hosts"]["gone"] is None
    assert partial["probe_outcomes"]["far"]["status"] == "failed"
    assert partial["probe_outcomes"]["gone"]["status"] == "missing"
    assert "domains" not in partial and "summary" not in partial


def test_a_slice_written_again_unchanged_is_no_change(tmp_path):
    data = fleet()
    write_slices(tmp_path, data)
    before = snapshot(tmp_path)
    args = {"dest": str(tmp_path), "partial": True, "slice": "1", "hosts": SLICES["1"], "probes": "probe"}
    assert run(args, data)["changed"] is False and snapshot(tmp_path) == before
    # Positive control: a fact that changed is a change.
    data["same"]["ansible_facts"]["mdev"]["kernel_release"] = "6.9.0"
    assert run(args, data)["changed"] is True


@pytest.mark.parametrize("args, message", [
    ({"partial": True}, "slice (required with partial)"),
    ({"partial": True, "slice": "../up"}, "is not a slice identifier"),
    ({"partial": True, "slice": ""}, "is not a slice identifier"),
    ({"partial": True, "slice": "x" * 65}, "is not a slice identifier"),
    ({"partial": True, "slice": "1", "merge_from": ["a"]}, "give one of them"),
    ({"merge_from": ["a"], "policy": "auto"}, "do not give policy"),
    ({"merge_from": ["a"], "hosts": ["src"]}, "do not give hosts"),
    ({"expect_slices": 2}, "applies to merge_from only"),
    ({"max_spread": 60}, "max_spread applies to merge_from only"),
    ({"keep_merged": False}, "keep_merged applies to merge_from only"),
    ({"merge_from": ["a"], "keep_merged": "treu"}, "keep_merged"),
    ({"merge_from": ["a"], "max_spread": -1}, "max_spread must be a number of seconds (0 or more), got -1"),
    ({"merge_from": []}, "no partial report to merge"),
])
def test_bad_slicing_options_fail_and_write_nothing(tmp_path, args, message):
    dest = tmp_path / "reports"
    with pytest.raises(AnsibleError) as exc:
        run(dict({"dest": str(dest)}, **args), fleet())
    assert message in str(exc.value)
    assert not dest.exists()


def _tamper(path, change):
    partial = json.loads(open(path).read())
    change(partial)
    with open(path, "w") as handle:
        json.dump(partial, handle)


@pytest.mark.parametrize("change, message", [
    (lambda p: (p["hosts"].update(src=None), p["probe_outcomes"].update(src=p["probe_outcomes"]["newer"])),
     "host src is in two slices"),
    (lambda p: p.update(policy="identity"), "come from different audits"),
    (lambda p: p.update(probed=False, probe_outcomes=None), "come from different audits"),
    (lambda p: p.update(partial_report_version=9), "partial_report_version 9"),
    (lambda p: p.update(slice="1"), "are both slice 1"),
    (lambda p: p["probe_outcomes"].update(newer={"status": "fine", "records": [], "message": None}),
     "status 'fine' is none of"),
    (lambda p: p["probe_outcomes"].update(newer={"status": "ok", "records": [{"verdict": "compatible"}],
                                                 "message": None}), "must be a list of probe records"),
    (lambda p: p["probe_outcomes"].pop("newer"), "one outcome per host"),
    (lambda p: p.pop("partial_report_version"), "is not a partial audit report"),
    (lambda p: p.update(generated_at="yesterday"), "generated_at 'yesterday' is not a time"),
    (lambda p: p.pop("generated_at"), "generated_at None is not a time"),
])
def test_slices_that_do_not_belong_together_fail_naming_them(tmp_path, change, message):
    paths = write_slices(tmp_path / "parts", fleet())
    _tamper(paths[1], change)
    dest = tmp_path / "report"
    with pytest.raises(AnsibleError) as exc:
        run({"dest": str(dest), "merge_from": paths}, data={})
    assert message in str(exc.value)
    assert not dest.exists()


def test_a_missing_slice_is_caught_by_expect_slices(tmp_path):
    paths = write_slices(tmp_path / "parts", fleet())
    with pytest.raises(AnsibleError, match=r"2 partial report\(s\) found .* 3 slices expected"):
        run({"dest": str(tmp_path / "report"), "merge_from": paths[:2], "expect_slices": 3}, data={})
    # Positive control: all three merge.
    assert run({"dest": str(tmp_path / "report"), "merge_from": paths, "expect_slices": 3}, data={})["changed"]


@pytest.mark.parametrize("content", [None, "{not json", "[]"])
def test_an_unreadable_partial_fails_naming_the_file(tmp_path, content):
    path = tmp_path / "mdev-audit.partial-x.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(AnsibleError) as exc:
        run({"dest": str(tmp_path / "report"), "merge_from": [str(path)]}, data={})
    assert str(path) in str(exc.value) and "Traceback" not in str(exc.value)
    assert not os.path.exists(str(tmp_path / "report"))


def _written_at(path, seconds_ago):
    stamp = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    _tamper(path, lambda p: p.update(generated_at=stamp.strftime("%Y-%m-%dT%H:%M:%SZ")))


def test_a_partial_left_from_an_earlier_audit_is_refused(tmp_path):
    paths = write_slices(tmp_path / "parts", fleet())
    dest = tmp_path / "report"
    # Slice 2 failed this time and its partial report of a day before is still there: the number
    # of slices is right, and only the times tell.
    for path, ago in zip(paths, [600, 86400, 1800]):
        _written_at(path, ago)
    with pytest.raises(AnsibleError) as exc:
        run({"dest": str(dest), "merge_from": paths, "expect_slices": 3}, data={})
    assert re.search(r"%s was written at \S+, 8640\d s before this merge, more than max_spread=21600 s: it may be "
                     r"left from an earlier audit" % re.escape(paths[1]), str(exc.value))
    assert not dest.exists()
    # Controls: slices that waited for capacity, within the default; a wider max_spread when asked.
    _written_at(paths[1], 5 * 3600)
    assert run({"dest": str(dest), "merge_from": paths, "expect_slices": 3}, data={})["changed"]
    _written_at(paths[1], 86400)
    with pytest.raises(AnsibleError, match="more than max_spread=80000 s"):
        run({"dest": str(dest), "merge_from": paths, "max_spread": 80000}, data={})
    assert run({"dest": str(dest), "merge_from": paths, "max_spread": 90000}, data={})["summary"]["hosts"] == 6


@pytest.mark.parametrize("ages, message", [
    ([86400, 86400, 86400], "before this merge, more than max_spread"),     # all of them left from before
    ([600, -3600, 600], "after this merge"),                                # a time that cannot be trusted
])
def test_partials_all_old_or_from_the_future_are_refused(tmp_path, ages, message):
    paths = write_slices(tmp_path / "parts", fleet())
    for path, ago in zip(paths, ages):
        _written_at(path, ago)
    with pytest.raises(AnsibleError, match=message):
        run({"dest": str(tmp_path / "report"), "merge_from": paths, "keep_merged": False}, data={})
    assert all(os.path.exists(p) for p in paths)


def test_merged_partials_are_removed_when_asked_but_one_written_again_is_kept(tmp_path):
    paths = write_slices(tmp_path / "parts", fleet())
    kept = run({"dest": str(tmp_path / "report"), "merge_from": paths}, data={})
    assert kept["removed"] == [] and all(os.path.exists(p) for p in paths)       # the default keeps them
    merged = [(path, _load_partial(path)) for path in paths]
    _tamper(paths[1], lambda p: p.update(slice="2"))                             # slice 2 run again meanwhile
    assert remove_merged(merged) == ([paths[0], paths[2]], [paths[1]])
    assert [os.path.exists(p) for p in paths] == [False, True, False]
    write_slices(tmp_path / "again", fleet())
    again = sorted(str(p) for p in (tmp_path / "again").iterdir())
    result = run({"dest": str(tmp_path / "again"), "merge_from": again, "keep_merged": False}, data={})
    assert result["removed"] == again and result["left"] == [] and result["changed"]
    assert not any(os.path.exists(p) for p in again)


@pytest.mark.parametrize("gone", ["before the check", "between the check and the removal"])
def test_a_partial_removed_by_someone_else_meanwhile_is_neither_removed_nor_left(tmp_path, monkeypatch, gone):
    """The task failed after the report was written, before; the file is gone as asked. The
    others are removed (control), and a file that cannot be removed for another reason still fails."""
    paths = write_slices(tmp_path / "parts", fleet())
    merged = [(path, _load_partial(path)) for path in paths]
    if gone == "before the check":
        os.unlink(paths[1])
    else:
        real_unlink = os.unlink

        def raced(path, *args, **kwargs):
            if path == paths[1]:
                real_unlink(path)       # someone else was first
            return real_unlink(path, *args, **kwargs)
        monkeypatch.setattr(os, "unlink", raced)
    assert remove_merged(merged) == ([paths[0], paths[2]], [])
    assert not any(os.path.exists(p) for p in paths)
    monkeypatch.undo()
    again = write_slices(tmp_path / "again", fleet())
    merged = [(path, _load_partial(path)) for path in again]

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(os, "unlink", refused)
    with pytest.raises(AnsibleError, match="could not be removed: .*Permission denied"):
        remove_merged(merged)
