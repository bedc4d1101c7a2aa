# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleError

from ansible_collections.vfio.mdev_migration.plugins.action import fleet_audit_report
from ansible_collections.vfio.mdev_migration.plugins.action.fleet_audit_report import ActionModule, parse_mode
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import hostvars, source_host, target_host

FILES = ("mdev-audit.json", "mdev-audit.md", "mdev-audit.html")


def fleet(**extra):
    hosts = dict(src=source_host(), same=target_host(available=2), newer=target_host(version="v-551"), gone=None)
    hosts.update(extra)
    return hostvars(**hosts)


def run(args, data, check_mode=False, diff=False):
    task = MagicMock()
    task.args = dict(args)
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    task.action = "vfio.mdev_migration.fleet_audit_report"
    connection = MagicMock()
    connection._shell.tmpdir = "/nonexistent"
    action = ActionModule(task, connection, MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    # The plugin loader sets this; ansible-core 2.16's argument validation names the plugin by it.
    action._load_name = "vfio.mdev_migration.fleet_audit_report"
    return action.run(task_vars={"hostvars": data})


def snapshot(directory):
    return dict((name, (directory / name).read_bytes()) for name in sorted(os.listdir(str(directory))))


def test_writes_the_three_files(tmp_path):
    result = run({"dest": str(tmp_path)}, fleet())
    assert result["changed"] is True
    assert sorted(os.path.basename(f) for f in result["files"]) == sorted(FILES)
    assert result["changed_files"] == result["files"]
    report = json.loads((tmp_path / "mdev-audit.json").read_text())
    assert report["summary"]["hosts"] == 4 and report["generated_at"] == result["generated_at"]
    assert result["summary"] == report["summary"]
    for name in FILES:
        assert stat.S_IMODE(os.stat(str(tmp_path / name)).st_mode) == 0o644


def test_check_mode_writes_nothing(tmp_path):
    dest = tmp_path / "reports"
    result = run({"dest": str(dest)}, fleet(), check_mode=True)
    assert result["changed"] is True and len(result["changed_files"]) == 3
    assert not dest.exists()


def test_check_mode_on_an_existing_report(tmp_path, monkeypatch):
    run({"dest": str(tmp_path)}, fleet())
    before = snapshot(tmp_path)
    assert run({"dest": str(tmp_path)}, fleet(), check_mode=True)["changed"] is False
    result = run({"dest": str(tmp_path)}, fleet(extra=target_host()), check_mode=True, diff=True)
    assert result["changed"] is True
    assert snapshot(tmp_path) == before
    assert sorted(os.path.basename(d["after_header"]) for d in result["diff"]) == ["mdev-audit.json", "mdev-audit.md"]


def test_second_run_is_unchanged_and_keeps_the_files(tmp_path, monkeypatch):
    first = run({"dest": str(tmp_path)}, fleet())
    before = snapshot(tmp_path)
    later = {"value": "2099-01-01T00:00:00Z"}

    class Clock(object):
        timezone = fleet_audit_report.datetime.timezone

        class datetime(object):
            @staticmethod
            def now(_tz):
                return MagicMock(strftime=lambda _fmt: later["value"])

    monkeypatch.setattr(fleet_audit_report, "datetime", Clock)
    second = run({"dest": str(tmp_path)}, fleet())
    assert second["changed"] is False and second["changed_files"] == []
    assert second["generated_at"] != first["generated_at"]
    assert snapshot(tmp_path) == before


def test_content_change_is_changed(tmp_path):
    run({"dest": str(tmp_path)}, fleet())
    result = run({"dest": str(tmp_path)}, fleet(extra=target_host()))
    assert result["changed"] is True and len(result["changed_files"]) == 3
    assert json.loads((tmp_path / "mdev-audit.json").read_text())["summary"]["hosts"] == 5


def test_only_the_changed_format(tmp_path):
    run({"dest": str(tmp_path)}, fleet())
    (tmp_path / "mdev-audit.md").write_text("edited by hand\n")
    result = run({"dest": str(tmp_path)}, fleet())
    assert [os.path.basename(f) for f in result["changed_files"]] == ["mdev-audit.md"]
    assert (tmp_path / "mdev-audit.md").read_text().startswith("# mdev migration audit")


@pytest.mark.parametrize("mode, expected", [("0600", 0o600), ("640", 0o640), (0o664, 0o664), ("0o644", 0o644)])
def test_mode_is_applied(tmp_path, mode, expected):
    result = run({"dest": str(tmp_path), "mode": mode, "formats": ["json"]}, fleet())
    assert result["changed"] is True
    assert stat.S_IMODE(os.stat(str(tmp_path / "mdev-audit.json")).st_mode) == expected


def test_mode_change_alone_is_changed(tmp_path):
    run({"dest": str(tmp_path), "formats": ["markdown"]}, fleet())
    assert run({"dest": str(tmp_path), "formats": ["markdown"], "mode": "0600"}, fleet(), check_mode=True)["changed"]
    assert stat.S_IMODE(os.stat(str(tmp_path / "mdev-audit.md")).st_mode) == 0o644
    assert run({"dest": str(tmp_path), "formats": ["markdown"], "mode": "0600"}, fleet())["changed"]
    assert stat.S_IMODE(os.stat(str(tmp_path / "mdev-audit.md")).st_mode) == 0o600
    assert not run({"dest": str(tmp_path), "formats": ["markdown"], "mode": "0600"}, fleet())["changed"]


@pytest.mark.parametrize("args, message", [
    ({"mode": "u=rw"}, "mode"),
    ({"mode": "0999"}, "mode"),
    ({"mode": "0200"}, "mode"),
    ({"mode": 644}, "mode"),          # decimal 644 is 01204: not readable by the owner
    ({"mode": True}, "mode"),
    ({"formats": ["pdf"]}, "formats"),
    ({"formats": []}, "formats"),
    ({"name": "../escape"}, "name"),
    ({"name": ".hidden"}, "name"),
    ({"hosts": {"gpu-a1": 1}}, "hosts"),
    ({"probes": 3}, "probes"),
    ({"bogus": 1}, "bogus"),
])
def test_bad_options_fail_and_write_nothing(tmp_path, args, message):
    dest = tmp_path / "reports"
    with pytest.raises(AnsibleError) as exc:
        run(dict({"dest": str(dest)}, **args), fleet())
    assert message in str(exc.value)
    assert not dest.exists()


def test_dest_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(AnsibleError, match="dest"):
        run({"dest": str(tmp_path / "file")}, fleet())


def test_failed_write_leaves_the_previous_report(tmp_path, monkeypatch):
    run({"dest": str(tmp_path)}, fleet())
    before = snapshot(tmp_path)

    def broken(_src, _dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fleet_audit_report.os, "replace", broken)
    with pytest.raises(AnsibleError, match="No space left"):
        run({"dest": str(tmp_path)}, fleet(extra=target_host()))
    assert snapshot(tmp_path) == before      # no temporary file left either


def test_a_write_failing_on_the_second_file_leaves_no_file_changed(tmp_path, monkeypatch):
    """Each file is rendered into a temporary file first; none is renamed until all are written."""
    run({"dest": str(tmp_path)}, fleet())
    before = snapshot(tmp_path)
    calls = []

    def fsync_fails_the_second_time(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(fleet_audit_report.os, "fsync", fsync_fails_the_second_time)
    with pytest.raises(AnsibleError, match="No space left"):
        run({"dest": str(tmp_path)}, fleet(extra=target_host()))
    assert len(calls) == 2 and snapshot(tmp_path) == before


def test_parse_mode():
    assert parse_mode("0644") == 0o644 and parse_mode("755") == 0o755 and parse_mode(0o600) == 0o600
    for bad in ("", "rw", "12345678", "-1", 0o10000):
        with pytest.raises(ValueError):
            parse_mode(bad)


def test_a_file_larger_than_one_write_slice_is_written_whole(tmp_path, monkeypatch):
    """Text is encoded a slice at a time; a character cut by no slice boundary may be lost or split."""
    monkeypatch.setattr(fleet_audit_report, "WRITE_SLICE", 7)
    text = "h\u00f6st-\u00e9\u20ac" * 5 + "\U0001f5a5 end\n"
    path = str(tmp_path / "r.json")
    tmp = fleet_audit_report.write_temporary(path, [text[:10], text[10:]], 0o644)
    with open(tmp, "rb") as handle:
        assert handle.read() == text.encode("utf-8")
    assert len(text) > 7 and len(text.encode("utf-8")) > len(text)
    assert os.path.dirname(tmp) == str(tmp_path) and not os.path.exists(path)
    assert fleet_audit_report.file_holds(tmp, [text]) and not fleet_audit_report.file_holds(tmp, [text[:-1]])
    assert not fleet_audit_report.file_holds(tmp, [text + " "])


def test_a_diff_counts_characters_before_and_after(tmp_path, monkeypatch):
    """The limit of a diff is in characters on both sides: a non-ASCII file within it is shown."""
    monkeypatch.setattr(fleet_audit_report, "DIFF_MAX_BYTES", 40)
    path = tmp_path / "r.md"
    path.write_text("\u00e9" * 30, encoding="utf-8")
    plan = fleet_audit_report.plan_file(str(path), "markdown", {}, 0o644, write=False, diff=True,
                                        rendering=lambda report, fmt: iter(["\u00e9" * 39]))
    assert plan["changed"] and plan["before"] == "\u00e9" * 30 and plan["after"] == "\u00e9" * 39
    path.write_text("\u00e9" * 41, encoding="utf-8")
    plan = fleet_audit_report.plan_file(str(path), "markdown", {}, 0o644, write=False, diff=True,
                                        rendering=lambda report, fmt: iter(["x" * 20, "y" * 21]))
    assert plan["before"] is None and plan["after"] is None and fleet_audit_report._diff(plan) is None
