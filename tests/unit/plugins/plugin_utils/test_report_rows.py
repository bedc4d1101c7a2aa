# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from operator import attrgetter

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


def test_columns():
    assert list(rows().columns("host", "available")) == [("b", 2), ("a", 0), ("a", 5)]
    assert list(rows().columns("parent")) == [("p1",), ("p2",), ("p1",)]
    with pytest.raises(ValueError):
        rows().columns("devices")


class Offer:
    def __init__(self, host, parent, available):
        self.host, self.parent, self.available = host, parent, available


def test_rows_of_objects_read_through_their_row_function():
    offers = [Offer("b", "p1", 2), Offer("a", "p2", 0), Offer("a", "p1", 5)]
    made = Rows(KEYS, offers, attrgetter(*KEYS))
    assert made.as_list() == rows().as_list() and len(made) == 3
    assert list(made.columns("available", "host")) == [(2, "b"), (0, "a"), (5, "a")]
    # Read when written, not when made: the objects are the rows.
    offers[0].available = 7
    assert made.as_list()[0]["available"] == 7


def test_json_writes_rows_as_lists_and_refuses_anything_else():
    text = json.dumps({"placements": rows()}, default=as_json_data, sort_keys=True)
    assert json.loads(text) == {"placements": rows().as_list()}
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        json.dumps({"x": {1}}, default=as_json_data)
