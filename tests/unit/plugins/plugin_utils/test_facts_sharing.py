# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import json.encoder
from collections.abc import Mapping

import pytest

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _facts_sharing
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_sharing import SharedRecords
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_model import build_report
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import PARENT, TYPE
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.plugin_utils.test_judge_kinds import (
    CASES,
    OTHER_PARENT,
    _outcome,
    fleet,
    host,
    nested,
)

AT = "2026-11-28T10:00:00Z"


def shared_fleet(data):
    records = SharedRecords()
    return dict((name, records.of(facts)) for name, facts in data.items())


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_report_of_shared_records_is_the_report_of_the_facts(case):
    """Each case differs from its control in one thing the pair rule reads; shared wrongly, a
    record of host c would take a's verdict and the reports would differ."""
    data, probes = CASES[case]
    data = fleet() if data == "fleet" else data
    lookup = (lambda h: _outcome(probes, h)) if probes is not None else None
    assert build_report(shared_fleet(copy.deepcopy(data)), "auto", lookup, AT) == \
        build_report(copy.deepcopy(data), "auto", lookup, AT)


def test_equal_records_are_one_object_and_others_stay_apart():
    shared = shared_fleet({"a": host("a"), "b": host("b"), "c": host("c", available=3)})
    a, b, c = (shared[h]["parents"] for h in "abc")
    # Same free instances, no device: one record. Each host's first parent holds its own device.
    assert a[OTHER_PARENT]["types"][TYPE] is b[OTHER_PARENT]["types"][TYPE]
    assert a[PARENT]["types"][TYPE] is not b[PARENT]["types"][TYPE]
    assert c[OTHER_PARENT]["types"][TYPE] is not a[OTHER_PARENT]["types"][TYPE]
    assert a[PARENT]["pci"] is b[PARENT]["pci"] is c[OTHER_PARENT]["pci"]
    first = [shared[h]["devices"][u]["migration"] for h in "ab" for u in shared[h]["devices"]]
    assert first[0] is first[1]


def test_true_is_not_one_and_a_set_is_equal_to_nothing():
    one = host("b")
    one["parents"][OTHER_PARENT]["types"][TYPE]["migration"]["supported"] = 1
    sets = [host(name) for name in "cd"]
    for facts in sets:
        facts["parents"][OTHER_PARENT]["types"][TYPE]["extra"] = {0}
    shared = shared_fleet(dict(a=host("a"), b=one, c=sets[0], d=sets[1]))
    records = [shared[h]["parents"][OTHER_PARENT]["types"][TYPE] for h in "abcd"]
    assert len(set(id(r) for r in records)) == 4
    assert records[1]["migration"]["supported"] == 1 and records[1]["migration"]["supported"] is not True


def test_the_facts_given_are_left_as_they_were():
    facts = host("a")
    before = copy.deepcopy(facts)
    types = facts["parents"][PARENT]["types"]
    records = SharedRecords()
    records.of(host("b"))
    shared = records.of(facts)
    assert facts == before and shared == before
    assert facts["parents"][PARENT]["types"] is types and shared["parents"][PARENT]["types"] is not types


def test_a_malformed_record_nested_too_deep_is_left_unshared_and_reported():
    """A type whose name is nested deeper than the interpreter recurses is malformed, not a crash."""
    data = {"a": host("a"), "b": host("b")}
    for facts in data.values():
        facts["parents"][PARENT]["types"]["other"] = {"name": nested(5000), "device_api": "vfio-pci",
                                                      "available_instances": 1, "devices": []}
    shared = shared_fleet(data)
    assert shared["a"]["parents"][PARENT]["types"]["other"] is not shared["b"]["parents"][PARENT]["types"]["other"]
    report = build_report(shared, "auto", None, AT)
    assert [t["type_id"] for t in report["types"]] == [TYPE]


class Name(str):
    """A string that is not a plain ``str`` (as a templating library may hand out)."""


def test_names_are_one_object_across_hosts_and_the_facts_stay_equal():
    """Each host's JSON is decoded on its own; shared, the names it repeats are one object each."""
    data = {}
    for name in "ab":
        facts = host(name)
        # Decoded apart: equal names, different objects (as json.loads makes them).
        data[name] = json.loads(json.dumps(facts))
        data[name]["gather_subset"] = ["types", "versions"]
    data["b"]["parents"][PARENT]["driver"] = Name("nvidia")
    shared = shared_fleet(copy.deepcopy(data))
    a, b = shared["a"], shared["b"]
    assert a == data["a"] and b == data["b"]
    assert next(k for k in a["parents"] if k == PARENT) is next(k for k in b["parents"] if k == PARENT)
    assert next(iter(a["parents"][PARENT]["types"])) is next(iter(b["parents"][PARENT]["types"]))
    assert next(k for k in a if k == "kernel_release") is next(k for k in b if k == "kernel_release")
    assert a["gather_subset"] is b["gather_subset"]
    # Each host's first parent holds its own device, so its type record is its own; the migration
    # record in it is one object, and the device records' names are shared.
    first_a, first_b = a["parents"][PARENT]["types"][TYPE], b["parents"][PARENT]["types"][TYPE]
    assert first_a is not first_b and first_a["migration"] is first_b["migration"]
    dev_a, dev_b = next(iter(a["devices"].values())), next(iter(b["devices"].values()))
    assert dev_a["parent"] is dev_b["parent"] is next(k for k in a["parents"] if k == PARENT)
    # A name of another class than str, in a mapping that is not shared, is left as it is.
    assert b["parents"][PARENT]["driver"].__class__ is Name and a["parents"][PARENT]["driver"].__class__ is str


class FrozenMapping(Mapping):
    """A read-only mapping that is not a dict."""

    def __init__(self, data):
        self._data = dict(data)

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


@pytest.mark.parametrize("one, other", [
    (True, 1), (1, 1.0), (0.0, -0.0), ([1], (1,)), ("1", 1), (None, "null"), (False, 0),
], ids=["true-1", "1-1.0", "zero-negative-zero", "list-tuple", "str-int", "none-null", "false-0"])
def test_records_that_differ_as_data_stay_apart(one, other):
    """Each pair is equal as Python values or as JSON text, not both: the records that hold them
    are not one (the control: the same value on both hosts is shared)."""
    data = {"a": host("a"), "b": host("b"), "c": host("c")}
    for name, value in (("a", one), ("b", other), ("c", one)):
        data[name]["parents"][OTHER_PARENT]["types"][TYPE]["extra"] = value
    shared = shared_fleet(data)
    a, b, c = (shared[h]["parents"][OTHER_PARENT]["types"][TYPE] for h in "abc")
    assert a is not b and a is c
    assert type(b["extra"]) is type(other) and b["extra"] == other


@pytest.mark.parametrize("key", [1, True, 1.0], ids=["int", "bool", "float"])
def test_a_key_that_is_not_a_string_is_not_its_text(key):
    data = {"a": host("a"), "b": host("b")}
    data["a"]["parents"][OTHER_PARENT]["types"][TYPE]["extra"] = {str(key).lower() if key is True else str(key): 1}
    data["b"]["parents"][OTHER_PARENT]["types"][TYPE]["extra"] = {key: 1}
    shared = shared_fleet(data)
    a, b = (shared[h]["parents"][OTHER_PARENT]["types"][TYPE] for h in "ab")
    assert a is not b and list(b["extra"]) == [key] and type(list(b["extra"])[0]) is type(key)


def test_a_mapping_that_is_not_a_dict_is_left_as_it_is():
    data = {"a": host("a"), "b": host("b")}
    for facts in data.values():
        record = facts["parents"][OTHER_PARENT]["types"][TYPE]
        record["migration"] = FrozenMapping(record["migration"])
    shared = shared_fleet(data)
    a, b = (shared[h]["parents"][OTHER_PARENT]["types"][TYPE] for h in "ab")
    assert a is data["a"]["parents"][OTHER_PARENT]["types"][TYPE] and b is data["b"]["parents"][OTHER_PARENT]["types"][TYPE]
    assert a == b


def test_the_text_of_a_record_is_the_json_modules_with_or_without_its_c_encoder(monkeypatch):
    record = host("a")["parents"][PARENT]
    expected = json.dumps(record, sort_keys=True, separators=(",", ":"))
    assert _facts_sharing._json_text(record) == expected
    # With a C encoder that answers otherwise, or without one, the json module's own encoder.
    wrong = _facts_sharing._text_encoder(lambda *args: (lambda value, level: ("[]",)))
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    missing = _facts_sharing._text_encoder()
    for encode in (wrong, missing):
        assert encode(record) == expected
        with pytest.raises(TypeError):
            encode({"x": {1}})
