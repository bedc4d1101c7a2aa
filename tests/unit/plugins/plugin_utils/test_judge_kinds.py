# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Targets judged by kind: a key must hold everything a judgement reads, or it lies.

Each case makes host ``c`` differ from ``a`` and ``b`` in one thing the pair rule reads. Its key
must differ from theirs, and the domains, stranded devices and VMs must equal those of the same
fleet judged member by member (every key unique), which is how the audit judged before kinds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _domains, _judge_kinds
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._device_judge import signature_of
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import PerRecord
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._host_verdict import JudgeContext
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._judge_kinds import TargetKeys, frozen
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    PARENT,
    TYPE,
    accepted,
    device,
    facts,
    mtype,
    parent,
    probe_record,
    probe_result,
    with_definitions,
)

OTHER_PARENT = "0000:af:00.0"


def host(name, version=None, available=2, kernel="6.8.0", type_kw=None, **parent_kw):
    """A host with two parents offering TYPE, and one device on the first."""
    uuid = "%s0000000-0000-4000-8000-000000000001" % name
    types = {TYPE: mtype(available, version, devices=[uuid], **(type_kw or {}))}
    return facts(parents={PARENT: parent(types, **parent_kw),
                          OTHER_PARENT: parent({TYPE: mtype(available, version, **(type_kw or {}))}, **parent_kw)},
                 devices={uuid: device(PARENT, TYPE)}, kernel=kernel)


def fleet(**c_kw):
    """Hosts a and b alike, c with ``c_kw``; versions on the type unless the case says otherwise."""
    base = dict(version="v-550")
    return {"a": host("a", **base), "b": host("b", **base), "c": host("c", **dict(base, **c_kw))}


IN_TREE = dict(version=None, driver_version=None, driver_in_tree=True)
IN_TREE_AS_ONE = dict(version=None, driver_version=None, driver_in_tree=1)

# (case, facts of the fleet, probes) - each differs from the control in one thing read by the rule.
CASES = {
    "driver version": (fleet(version=None, driver_version="550.54.11"), None),
    "PCI device id": (fleet(version=None, pci={"vendor_id": "10de", "device_id": "1eb9", "subsystem_vendor_id": "10de",
                                               "subsystem_device_id": "12a2", "revision": "a1"}), None),
    "migration version": (fleet(version="v-551"), None),
    "device_api": (fleet(version=None, type_kw={"device_api": "vfio-ccw"}), None),
    "kernel of an in-tree driver": (dict(fleet(**dict(IN_TREE, kernel="6.9.0")),
                                         a=host("a", **IN_TREE), b=host("b", **IN_TREE)), None),
    "in-tree as 1, not True": (dict(fleet(**IN_TREE_AS_ONE),
                                    a=host("a", **IN_TREE), b=host("b", **IN_TREE)), None),
    "mdevctl definitions unreadable": (dict(fleet(), c=with_definitions(host("c", version="v-550"), error="EACCES")),
                                       None),
    "probe refused": ("fleet", {"a": accepted("v-550"), "b": accepted("v-550"),
                                "c": probe_result(probe_record("v-550", "incompatible"))}),
    "free instances": (dict(fleet(available=2), a=host("a", version="v-550", available=0),
                            b=host("b", version="v-550", available=0)), None),
}


def judged(data, probes, monkeypatch=None):
    """migration_domains of ``data``; with ``monkeypatch``, every member and host a kind of its own."""
    if monkeypatch is not None:
        monkeypatch.setattr(TargetKeys, "member", lambda self, h, p, t, kind="mdev": ("alone", h, p, t))
        monkeypatch.setattr(TargetKeys, "host", lambda self, h, kind, t: ("alone", h))
    lookup = (lambda h: _outcome(probes, h)) if probes is not None else None
    return _domains.migration_domains(copy.deepcopy(data), "auto", lookup)


def _outcome(probes, name):
    from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._probe_evidence import outcome_of
    return outcome_of(probes.get(name), name)


def keys_of(data, probes):
    lookup = (lambda h: _outcome(probes, h)) if probes is not None else None
    keys = TargetKeys(data, JudgeContext(probes=lookup))
    return {h: (keys.member(h, PARENT, TYPE), keys.host(h, "mdev", TYPE)) for h in data}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_difference_the_rule_reads_splits_the_kinds_and_changes_no_answer(case, monkeypatch):
    data, probes = CASES[case]
    data = fleet() if data == "fleet" else data
    keys = keys_of(data, probes)
    assert keys["a"] == keys["b"]
    if case == "free instances":
        # Free instances are capacity, not compatibility: one kind of member, another kind of host.
        assert keys["c"][0] == keys["a"][0] and keys["c"][1] != keys["a"][1]
    else:
        assert keys["c"][0] != keys["a"][0] and keys["c"][1] != keys["a"][1]
    by_kind = judged(data, probes)
    assert by_kind == judged(data, probes, monkeypatch)
    # The answer is not the same whatever c is: c is alone, or a device of c is stranded.
    in_domains = [sorted(m["host"] for m in d["members"]) for d in by_kind["domains"]]
    assert ["a", "a", "b", "b", "c", "c"] not in in_domains or by_kind["stranded"]


def test_hosts_alike_share_their_kinds_and_one_domain():
    data = fleet(kernel="6.8.0")
    keys = keys_of(data, None)
    assert keys["a"] == keys["b"] == keys["c"]
    result = judged(data, None)
    assert [sorted(m["host"] for m in d["members"]) for d in result["domains"]] == [["a", "a", "b", "b", "c", "c"]]
    assert result["stranded"] == []


def test_a_where_expression_reads_the_host_so_nothing_is_shared():
    data = fleet(kernel="6.8.0")
    keys = TargetKeys(data, JudgeContext(where=lambda *args: True))
    assert keys.member("a", PARENT, TYPE) != keys.member("b", PARENT, TYPE)
    assert keys.host("a", "mdev", TYPE) != keys.host("b", "mdev", TYPE)


def test_frozen_tells_apart_what_the_rule_tells_apart():
    assert frozen(True) != frozen(1) and frozen(1) != frozen(1.0) and frozen(0) != frozen(False)
    assert frozen({"a": 1, "b": [1, "x"]}) == frozen({"b": [1, "x"], "a": 1})
    assert frozen({"a": [1]}) != frozen({"a": (1,)[0]}) and frozen(["a"]) != frozen({"a": None})
    assert frozen("1") != frozen(1) and frozen(None) != frozen("None")
    assert len(set(frozen(v) for v in ({"x": {"y": True}}, {"x": {"y": 1}}, {"x": {"y": None}}))) == 3
    # Equal to Python, printed apart in a reason ("wrote -0.0 of the version's bytes").
    assert frozen(0.0) != frozen(-0.0) and frozen(0.5) == frozen(0.5)
    # Not JSON data (a YAML set): hashable, and equal to nothing else, not even an equal set.
    one, two = {0}, {0}
    assert frozen({"numa_node": one}) != frozen({"numa_node": two})
    assert frozen({"numa_node": one}) == frozen({"numa_node": one})
    # Keys as typed as values: 1, True and 1.0 are one key to Python, three to a reader that prints them.
    assert len(set(frozen({key: "a"}) for key in (1, True, 1.0, "1"))) == 4
    assert frozen({0.0: "a"}) != frozen({-0.0: "a"}) and frozen([1]) != frozen((1,))


def test_a_signature_made_through_a_memo_of_records_is_the_signature_itself():
    # The device judge freezes a source's records through a memo (each shared record walked once):
    # the lie would be two sources that differ in a record, or in a flag's type, judged alike.
    record = {"supported": True, "version": "v-550"}
    sources = [{"kind": "mdev", "host": "a", "device": "u", "parent": PARENT, "migration": record,
                "device_migration": {"supported": True, "version": value}, "driver_in_tree": flag}
               for value in (True, 1, 1.0, "1", None) for flag in (True, 1, None)]
    memo = PerRecord(frozen)
    with_memo = [signature_of(source, memo) for source in sources]
    assert with_memo == [signature_of(source) for source in sources]
    assert len(set(with_memo)) == len(sources) == 15
    # What only host-level rules read is left out; whether there is a device is not (the control).
    same = dict(sources[0], host="b", device="w", parent=OTHER_PARENT, machine_id="m", boot_id="b")
    assert signature_of(same, memo) == with_memo[0] != signature_of(dict(sources[0], device=None), memo)
    # A key is as typed as a value: True is not 1 (equal keys to Python).
    assert signature_of({True: "x", "device": None}, memo) != signature_of({1: "x", "device": None}, memo)


def nested(depth):
    value = "x"
    for _level in range(depth):
        value = [value]
    return value


def test_a_value_nested_too_deep_to_walk_is_equal_to_nothing():
    assert frozen({"name": nested(5000)}) != frozen({"name": nested(5000)})
    assert frozen({"name": nested(50)}) == frozen({"name": nested(50)})


def test_a_value_that_is_not_json_data_is_judged_and_never_shared(monkeypatch):
    data = fleet(kernel="6.8.0")
    for name in ("a", "b"):
        data[name]["parents"][PARENT]["numa_node"] = {0}
    keys = keys_of(data, None)
    assert keys["a"][0] != keys["b"][0]
    assert judged(data, None) == judged(data, None, monkeypatch)


def test_equal_keys_are_one_number_and_equal_parts_one_object():
    data = fleet(kernel="6.8.0")
    data["c"]["parents"][PARENT]["driver_version"] = "550.90.07"
    keys = TargetKeys(data, JudgeContext())
    numbers = [keys.member(h, PARENT, TYPE) for h in "abc"] + [keys.host(h, "mdev", TYPE) for h in "abc"]
    assert all(isinstance(n, int) for n in numbers)
    assert numbers[0] == numbers[1] != numbers[2] and numbers[3] == numbers[4] != numbers[5]
    assert len(set(numbers)) == 4
    # What a parent's types share in their keys is made once per parent, equal for equal parents.
    assert keys._of_parent("a", PARENT).common == keys._of_parent("b", PARENT).common \
        != keys._of_parent("c", PARENT).common
    assert _judge_kinds.frozen is frozen
