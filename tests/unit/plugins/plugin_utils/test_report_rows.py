# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from operator import attrgetter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_rows import (
    Rows,
    ValueTexts,
    as_json_data,
    json_text,
)

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


def dumps(value):
    """How the report writes a value (``_report_render``): keys sorted, no spaces, rows as lists."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=as_json_data)


class TaggedStr(str):
    """A string of another class, as ansible-core's tagged values are."""


class TaggedInt(int):
    pass


# Values that are equal to Python and written apart, or written alike and of other classes: the
# lie would be one of them written with the text of another seen before it in the same column.
TRICKY = [True, 1, 1.0, 0, False, 0.0, -0.0, "1", "true", None, "null", float("inf"), float("nan"), 10 ** 30,
          TaggedStr("1"), TaggedInt(1), "\u00e9", "\ud800", "a\"b\\c", "%s", "%%", [], ["a", "b"], ["a", 1],
          [True], [1], ("a", "b"), {"b": 1, "a": [True]}, {"a": 1.0}]
NAMES = ["host", "parent", "available", "devices", "%s", "\u00e9", "a\"b", "A", "_"]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.lists(st.sampled_from(TRICKY), min_size=4, max_size=4), max_size=12),
       st.lists(st.lists(st.sampled_from(TRICKY), min_size=4, max_size=4), max_size=12),
       st.permutations(NAMES))
def test_rows_written_column_by_column_are_the_text_of_their_dicts(first, second, names):
    keys = names[:4]
    texts = ValueTexts(dumps)       # one table for both, as for a whole report
    for records in (first, second):
        rows = Rows(keys, [tuple(r) for r in records])
        assert json_text(rows, texts) == dumps(rows.as_list())
    # Rows of objects read through their row function, likewise (the report's members).
    offers = [Offer(*record[:3]) for record in first]
    made = Rows(KEYS, offers, attrgetter(*KEYS))
    assert json_text(made, texts) == dumps(made.as_list())


def test_a_column_of_equal_values_of_other_classes_is_written_value_by_value():
    texts = ValueTexts(dumps)
    rows = Rows(("x", "y"), [(1, -0.0), (True, 0.0), (1.0, 0.0), ("1", -0.0), (TaggedInt(1), [1]), (None, [True])])
    assert json_text(rows, texts) == ('[{"x":1,"y":-0.0},{"x":true,"y":0.0},{"x":1.0,"y":0.0},{"x":"1","y":-0.0},'
                                      '{"x":1,"y":[1]},{"x":null,"y":[true]}]')
    # The control: each distinct value of a plain class is encoded once, then looked up.
    calls = []
    counted = ValueTexts(lambda value: calls.append(value) or dumps(value))
    assert json_text(Rows(("h",), [("a",), ("b",), ("a",), ("a",)]), counted) == '[{"h":"a"},{"h":"b"},{"h":"a"},{"h":"a"}]'
    assert sorted(c for c in calls if c != "h") == ["a", "b"]


@pytest.mark.parametrize("keys, records", [
    ((), [(), ()]),                     # no key: each record an empty object
    (("a", "a"), [(1, 2)]),             # a key twice: the last value, as dict() keeps it
    ((2, 1), [("x", "y")]),             # keys that are not strings: written as the json module writes them
    (("a", "b"), [(1,), (1, 2, 3)]),    # records short and long: as zip() pairs them
], ids=["no-key", "key-twice", "int-key", "ragged"])
def test_rows_of_odd_shape_are_written_as_their_dicts(keys, records):
    rows = Rows(keys, records)
    assert json_text(rows, ValueTexts(dumps)) == dumps(rows.as_list())
