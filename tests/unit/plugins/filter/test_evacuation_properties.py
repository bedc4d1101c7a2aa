# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""evacuation_plan on generated fleets, checked against an oracle written from the rules alone.

The property proved, for every generated fleet (policy ``version``, no probe):

1. No over-commit: on every target parent, the devices placed plus those it holds are of one
   type, at most the free instances of that type (after mdevctl auto-start reservations); or, on
   a parent whose facts already show two types, the placed instances take at most the whole pool
   (sum of placed_t / free_t <= 1).
2. No split: every VM of the source is in exactly one of ``placements`` and ``unplaced``, and a
   placement names one target and a target parent for each of its devices.
3. Nothing unknown placed: each placed device's own record (if any) is its type's version, its
   target parent publishes that version for its type, the target holds no mdev with the device's
   UUID, and ``migration_targets(vm=...)`` calls the target compatible.
4. Unplaced only when nothing could take it: for an unplaced VM, no candidate alone can take all
   its devices (every assignment of its devices to compatible parents tried) with the capacity
   left at the end of the plan. Capacity only shrinks as the plan goes, so this also holds for the
   capacity left when the VM's turn came.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.vfio.mdev_migration.plugins.filter.evacuation_plan import FilterModule
from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule as Targets
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (
    device,
    facts,
    hostvars,
    migration,
    mtype,
    parent,
    unsupported,
    with_definitions,
    with_vms,
)

PLAN = FilterModule().filters()["evacuation_plan"]
TARGETS = Targets().filters()["migration_targets"]
TYPES = ("nvidia-222", "nvidia-223", "nvidia-224")
PARENTS = ("0000:3b:00.0", "0000:3c:00.0", "0000:3d:00.0")
SOURCE_PARENT = "0000:81:00.0"


def version(type_id):
    return "v-" + type_id


def uuid(n):
    return "6f2b1c52-8a31-4d0e-9f4e-%012d" % n


@st.composite
def fleets(draw):
    """``(hostvars, truth)``: truth holds what the oracle needs, apart from the filter's input."""
    vm_types = draw(st.lists(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3), min_size=1, max_size=5))
    vms, devices, serial, movable = {}, {}, itertools.count(1), set()
    for index, types in enumerate(vm_types):
        uuids = []
        for type_id in types:
            uuids.append(uuid(next(serial)))
            # The device's own record: none, the type's version, another version, no migration.
            record = draw(st.sampled_from([None] * 4 + [version(type_id), "v-device", "unsupported"]))
            mig = unsupported() if record == "unsupported" else migration(record)
            devices[uuids[-1]] = device(SOURCE_PARENT, type_id, mig)
            if record in (None, version(type_id)):
                movable.add(uuids[-1])
        vms["vm%d" % index] = uuids
    src = facts(parents={SOURCE_PARENT: parent(dict((t, mtype(8, version(t))) for t in TYPES))}, devices=devices)
    data = {"src": with_vms(src, **dict((n, (True, u)) for n, u in vms.items()))}
    truth = {"vms": dict((n, [(u, devices[u]["type_id"]) for u in us]) for n, us in vms.items()), "hosts": {},
             "movable": movable}
    for index in range(draw(st.integers(1, 5))):
        name = "t%d" % index
        if draw(st.integers(0, 9)) == 0:
            data[name] = None
            truth["hosts"][name] = None
            continue
        parents, held, reservations, host_truth = {}, {}, {}, {}
        for parent_name in PARENTS[:draw(st.integers(1, 3))]:
            offered = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True))
            free = dict((t, draw(st.integers(0, 4))) for t in offered)
            published = dict((t, draw(st.sampled_from([version(t)] * 3 + ["v-other", None]))) for t in offered)
            existing = draw(st.lists(st.sampled_from(offered), max_size=2))
            for type_id in existing:
                held_uuid = draw(st.sampled_from([uuid(1000 + len(held) + 100 * index)] * 6 + sorted(devices)))
                held[held_uuid] = device(parent_name, type_id)
            reserved = draw(st.lists(st.sampled_from(offered), max_size=2))
            for type_id in reserved:
                reservations["r%d%s%d" % (len(reservations), parent_name[-4:], index)] = (
                    parent_name, type_id, "auto", False)
            parents[parent_name] = parent(dict((t, mtype(free[t], published[t])) for t in offered))
            host_truth[parent_name] = {"free": free, "published": published, "reserved": list(reserved)}
        for parent_name, parent_truth in host_truth.items():
            # from the devices held, not from the draws: two draws of one UUID are one device
            parent_truth["existing"] = set(d["type_id"] for d in held.values() if d["parent"] == parent_name)
        host = facts(parents=parents, devices=held)
        data[name] = with_definitions(host, **reservations) if reservations else host
        truth["hosts"][name] = {"parents": host_truth, "held": set(held)}
    return hostvars(**data), truth


def effective_free(parent_truth, type_id):
    """Free instances the plan may count on: auto-start reservations of the type taken, none if another type is reserved."""
    if any(t != type_id for t in parent_truth["reserved"]):
        return 0
    return max(0, parent_truth["free"].get(type_id, 0) - parent_truth["reserved"].count(type_id))


def holds(parent_truth, placed):
    """Whether a parent holds ``placed`` (type -> count) by rule 1."""
    if any(n > effective_free(parent_truth, t) for t, n in placed.items() if n):
        return False
    if len(parent_truth["existing"]) > 1:
        return sum(Fraction(n, effective_free(parent_truth, t)) for t, n in placed.items() if n) <= 1
    return len(parent_truth["existing"] | set(t for t, n in placed.items() if n)) <= 1


def compatible_parents(truth, host_truth, uuid_, type_id):
    """Parents that take the device by the version rule: its own record none or the type's version, the
    target's type publishing that version, and the target not holding its UUID."""
    if host_truth is None or uuid_ in host_truth["held"] or uuid_ not in truth["movable"]:
        return []
    return [p for p, t in sorted(host_truth["parents"].items()) if t["published"].get(type_id) == version(type_id)]


def usage(result):
    placed = {}
    for placement in result["placements"]:
        for dev in placement["devices"]:
            counts = placed.setdefault((placement["target"], dev["target_parent"]), {})
            counts[dev["type_id"]] = counts.get(dev["type_id"], 0) + 1
    return placed


def fits_alone(truth, host, vm_devices, placed):
    host_truth = truth["hosts"][host]
    options = [compatible_parents(truth, host_truth, u, t) for u, t in vm_devices]
    if any(not o for o in options):
        return False
    for assignment in itertools.product(*options):
        trial = dict((k, dict(v)) for k, v in placed.items())
        for (_uuid, type_id), parent_name in zip(vm_devices, assignment):
            counts = trial.setdefault((host, parent_name), {})
            counts[type_id] = counts.get(type_id, 0) + 1
        if all(holds(host_truth["parents"][p], trial.get((host, p), {})) for p in set(assignment)):
            return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(), st.sampled_from(["spread", "pack"]))
def test_plans_keep_the_four_promises(fleet, strategy):
    data, truth = fleet
    result = PLAN(data, "src", policy="version", strategy=strategy)
    placed = usage(result)
    # 1. no over-commit
    for (host, parent_name), counts in placed.items():
        assert holds(truth["hosts"][host]["parents"][parent_name], counts), (host, parent_name, counts)
    # 2. no split, every VM accounted for once
    names = [p["vm"] for p in result["placements"]] + [u["vm"] for u in result["unplaced"]]
    assert sorted(names) == sorted(truth["vms"])
    for placement in result["placements"]:
        assert [d["device"] for d in placement["devices"]] == [u for u, _t in truth["vms"][placement["vm"]]]
        # 3. nothing unknown placed
        for dev in placement["devices"]:
            assert dev["target_parent"] in compatible_parents(truth, truth["hosts"][placement["target"]], dev["device"],
                                                              dev["type_id"])
        assert placement["target"] in TARGETS(data, vm=placement["vm"], policy="version", min_available=0)
    # 4. unplaced only if no single candidate could take it alone
    for left_out in result["unplaced"]:
        for host in truth["hosts"]:
            assert not fits_alone(truth, host, truth["vms"][left_out["vm"]], placed), (left_out, host)
