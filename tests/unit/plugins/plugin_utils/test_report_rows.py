# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_rows import Rows, as_json_data

KEYS = ("host", "parent", "available")


def rows():
    return Rows(KEYS, [("b", "p1", 2), ("a", "p2", 0), ("a", "p1", 5)])


def test_rows_read_as_the_dicts_they_hold():
    assert rows().as_list() == [{"host": "b", "parent": "p1", "available": 2},
                                {"host": "a", "parent": "p2", "available": 0},
                                {"host": "a", "parent": "p1", "available": 5}]
    assert len(rows()) == 3 and len(Rows(KEYS)) == 0 and list(Rows(KEYS)) == []


def test_columns_and_a_stable_sort():
    assert list(rows().columns("host", "available")) == [("b", 2), ("a", 0), ("a", 5)]
    assert list(rows().columns("parent")) == [("p1",), ("p2",), ("p1",)]
    assert [tuple(r.values()) for r in rows().sort("host")] == [("a", "p2", 0), ("a", "p1", 5), ("b", "p1", 2)]
    assert list(rows().sort("host", "parent").columns("parent")) == [("p1",), ("p2",), ("p1",)]
    with pytest.raises(ValueError):
        rows().columns("devices")


def test_json_writes_rows_as_lists_and_refuses_anything_else():
    text = json.dumps({"placements": rows()}, default=as_json_data, sort_keys=True)
    assert json.loads(text) == {"placements": rows().as_list()}
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        json.dumps({"x": {1}}, default=as_json_data)
