# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

import pytest

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _report_pictures as pictures
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _report_render as render
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_model import build_report
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import source_host, target_host

NASTY = "<script>alert(1)</script> | a\nb"


def report(hosts=None, errors=True):
    fleet = {"src": source_host(), "same": target_host(available=2), "newer": target_host(version="v-551"),
             "gone": None}
    fleet.update(hosts or {})
    if errors:
        fleet["same"]["errors"] = [{"path": "/sys/x", "errno": "EIO", "message": NASTY}]
    return build_report(fleet, generated_at="2026-11-27T10:00:00Z")


def test_md_cell():
    assert render.md_cell("a|b") == "a\\|b"
    assert render.md_cell("a\nb\r\nc") == "a b c"
    assert render.md_cell(None) == "-" and render.md_cell([]) == "-"
    assert render.md_cell(["x", "y"]) == "x, y"
    long_list = render.md_cell(["h%d" % i for i in range(50)])
    assert long_list.endswith("... (50 in all)") and "h19" in long_list and "h20" not in long_list


def test_markdown():
    text = render.render_markdown(report())
    assert text.startswith("# mdev migration audit\n\nGenerated 2026-11-27T10:00:00Z.\n")
    for heading in ("## Summary", "## Hosts", "## Types", "## Version drift", "## Migration domains",
                    "## Devices that cannot be evacuated", "## Read errors"):
        assert "\n%s\n" % heading in text
    assert "## Accepted probe directions" not in text
    error_row = [line for line in text.splitlines() if line.startswith("| same | /sys/x")][0]
    assert "\\| a b" in error_row and "&lt;script>" in error_row
    # every table row has as many cells as its header
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.startswith("|")]
        if lines:
            widths = set(len(re.findall(r"(?<!\\)\|", line)) for line in lines)
            assert len(widths) == 1, block


def test_html_is_escaped_and_self_contained():
    page = render.render_html(report())
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1)
    assert "</" not in data
    assert json.loads(data)["tables"]["errors"][0][3] == NASTY
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_html_pictures():
    rep = report()
    page = render.render_html(rep)
    assert len(re.findall(r'<div class="dblock ', page)) == len(rep["domains"]) == 2
    assert len(re.findall(r'<div class="bar( stuck)?" data-domain=', page)) == 2
    strip = re.search(r'<div class="strip" id="host-strip">(.*?)</div>', page, re.S).group(1)
    assert re.findall(r'class="st-(\w+)"', strip) == ["nofacts", "ok", "err", "ok"]   # gone, newer, same, src
    assert 'class="dblock ev-version drift"' in page     # newer runs another version than the rest


def test_strip_of_a_large_fleet(monkeypatch):
    monkeypatch.setattr(pictures, "STRIP_CELLS", 2)
    cells, counts, per_cell = render.host_strip(report())
    assert per_cell == 2 and len(cells) == 2
    assert [c["slug"] for c in cells] == ["nofacts", "err"]
    assert cells[0]["title"] == "gone .. newer: 1 ok, 1 no facts"
    assert counts == [("ok", "ok", 2), ("err", "read errors", 1), ("nofacts", "no facts", 1)]


def test_one_way_marks():
    rep = report()
    rep["one_way"] = [{"type_id": "nvidia-222", "from_version": "v-550", "to_version": "v-551", "to_hosts": ["newer"]}]
    rows = render.compatibility(rep)
    blocks = dict((b["id"], b) for b in rows[0]["blocks"])
    assert blocks["nvidia-222#2"]["accepts_from"] == ["nvidia-222#1"]
    assert blocks["nvidia-222#1"]["accepted_by"] == ["nvidia-222#2"]
    assert "&larr; nvidia-222#1 one-way" in render.render_html(rep)


def test_accepted_table_when_present():
    rep = report()
    rep["accepted"] = [{"type_id": "nvidia-222", "from_version": "v-550", "hosts": ["newer", "same"]}]
    assert "## Accepted probe directions" in render.render_markdown(rep)
    assert 'id="table-accepted"' in render.render_html(rep)


def test_capacity_bars():
    bars = render.capacity_bars(report())
    assert [(b["used"], b["free"], b["reserved"]) for b in bars] == [(1, 5, 0), (0, 4, 0)]
    assert bars[0]["used_pct"] == pytest.approx(100.0 / 6, abs=0.01)


def test_capacity_bars_fullest_first_and_folded(monkeypatch):
    rep = report()
    rep["domains"][1]["devices"] = 4             # 4 used, 4 free: fuller than 1 used, 5 free
    assert [b["id"] for b in render.capacity_bars(rep)] == ["nvidia-222#2", "nvidia-222#1"]
    monkeypatch.setattr(render, "BARS_SHOWN", 1)
    page = render.render_html(rep)
    assert len(re.findall(r'<div class="bar( stuck)?" data-domain=', page)) == 2
    assert "<summary>1 more domain, with more headroom</summary>" in page


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
@pytest.mark.parametrize("probed", [False, True])
def test_generated_at_round_trip(fmt, probed):
    rep = dict(report(), probed=probed)
    assert render.generated_at_of(fmt, render.render(rep, fmt)) == "2026-11-27T10:00:00Z"
    assert render.generated_at_of(fmt, "something else") is None


def test_first_page_without_scripts(monkeypatch):
    monkeypatch.setattr(render, "PAGE_SIZE", 2)
    page = render.render_html(report())
    hosts = re.search(r'<table id="table-hosts">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert hosts.count("<tr>") == 2
    assert "The first 2 of 4 rows" in page
