# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A verdict-safety oracle: random fleets, and a second reading of the decision table written here.

The oracle below does not call the code under test. It reads the facts as the contract defines
them and says, per target parent, whether the table allows ``compatible``: every field the
chosen rule compares is known and equal on both sides, and where probes were given and the
source publishes versions, every version was accepted in full for that parent and type. The
filter must select exactly the hosts the oracle allows (with enough capacity), and must never
select one it does not.

Example counts: 1,000 whole fleets (auto/identity/version, with and without probes), 700 vendor-VFIO
fleets, 600 identity pairs and 600 probe pairs (2,900 in all).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import PARENT, SRC_UUID, TYPE, facts, vf

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings = hypothesis.given, hypothesis.settings

from ansible_collections.vfio.mdev_migration.tests.unit.plugins.plugin_utils.fleet_strategies import fleets  # noqa: E402

targets = FilterModule().filters()["migration_targets"]

BOARD = ("vendor_id", "device_id", "subsystem_vendor_id", "subsystem_device_id")


# ---- the oracle: the decision table, read again -------------------------------------------------

def state(record):
    """(state, version) of a migration record; a missing record is 'not gathered'."""
    if record is None:
        return "not_gathered", None
    if record.get("supported") is False:
        return "unsupported", None
    if record.get("supported") is True:
        v = record.get("version")
        writable = isinstance(v, str) and v.strip() != "" and len(v) <= 4096 and all(32 <= ord(c) <= 126 for c in v)
        return ("published", v) if writable else ("unreadable", None)
    if record.get("errno") is not None:
        return "unreadable", None
    return "absent", None


def plain_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def known_equal(a, b):
    return a is not None and b is not None and a == b


def known_different(a, b):
    return a is not None and b is not None and a != b


def pci_kind(p):
    if p.get("subsystem") == "pci" or p.get("bus") == "pci":
        return "pci"
    return p.get("subsystem")        # a non-PCI subsystem, or None (unknown)


def identity(src_parent, src_api, src_kernel, dst_parent, dst_api, dst_kernel):
    """'equal', 'different' or 'unknown' for the identity rule."""
    pairs = [(src_api, dst_api), (pci_kind(src_parent), pci_kind(dst_parent))]
    if pairs[1][0] is not None and pairs[1][0] == pairs[1][1]:
        if pairs[1][0] == "pci":
            pairs += [((src_parent.get("pci") or {}).get(k), (dst_parent.get("pci") or {}).get(k)) for k in BOARD]
        else:
            pairs.append((src_parent.get("subsystem"), dst_parent.get("subsystem")))
    elif pairs[1][0] is not None and pairs[1][1] is not None:
        pass                          # PCI on one side, non-PCI on the other (or two different non-PCI buses)
    pairs.append((src_parent.get("driver"), dst_parent.get("driver")))
    sv, dv = src_parent.get("driver_version"), dst_parent.get("driver_version")
    if sv is None and dv is None:
        if src_parent.get("driver_in_tree") is True and dst_parent.get("driver_in_tree") is True:
            pairs.append((src_kernel, dst_kernel))
        else:
            pairs.append((None, None))
    else:
        pairs.append((sv, dv))
    if any(known_different(a, b) for a, b in pairs):
        return "different"
    if all(known_equal(a, b) for a, b in pairs):
        return "equal"
    return "unknown"


# An unknown that only the versions make: a write probe may settle it (the table's probe rows).
DECIDABLE = "unknown, a probe decides"


def offline(src, dst_host, dst_parent_name, policy):
    """'compatible', 'incompatible' or 'unknown' for one target parent, without probes."""
    sp = src["parents"][PARENT]
    st_, sv = state(sp["types"][TYPE].get("migration"))
    sd, dv_ = state(src["devices"][SRC_UUID].get("migration"))
    dp = dst_host["parents"][dst_parent_name]
    dt = dp["types"][TYPE]
    ds, dv = state(dt.get("migration"))
    if "unsupported" in (st_, sd, ds):
        return "incompatible"
    if {st_, sd} & {"unreadable", "not_gathered"}:
        return "unknown"            # the source's own versions are unknown: no probe can settle that
    if ds in ("unreadable", "not_gathered"):
        return DECIDABLE

    def ident():
        found = identity(sp, sp["types"][TYPE].get("device_api"), src.get("kernel_release"),
                         dp, dt.get("device_api"), dst_host.get("kernel_release"))
        return {"equal": "compatible", "different": "incompatible", "unknown": "unknown"}[found]

    published = [v for s, v in ((st_, sv), (sd, dv_)) if s == "published"]
    if ds == "published":
        # every version the source publishes (type level, device level) is the target type's
        if not published or any(v != dv for v in published):
            return DECIDABLE
        return ident() if policy == "identity" else "compatible"
    # target absent
    if published:
        return DECIDABLE
    if policy == "version":
        return "unknown"
    return ident()


def source_versions(src):
    found = []
    for record in (src["parents"][PARENT]["types"][TYPE].get("migration"),
                   src["devices"][SRC_UUID].get("migration")):
        s, v = state(record)
        if s == "published" and v not in found:
            found.append(v)
    return found


def probe_records(registered):
    """The records of a registered result, or None when the probe did not run (missing, failed ...)."""
    if registered is None or any(registered.get(k) for k in ("failed", "unreachable", "skipped")):
        return None
    if "records" in registered:
        return list(registered["records"])
    records = []
    for item in registered["results"]:
        if any(item.get(k) for k in ("failed", "unreachable", "skipped")):
            return None             # the item that did not run may have been about this pair
        records.extend(item["records"])
    return records


def with_probe(verdict, registered, versions, parent_name):
    if not versions or verdict in ("incompatible", "unknown"):
        return "unknown" if verdict == DECIDABLE else verdict
    records = probe_records(registered)
    if records is None:
        return "unknown"
    answers = []
    for v in versions:
        mine = [r for r in records if r.get("device") is None and r.get("parent") == parent_name
                and r.get("type_id") == TYPE and r.get("source_version") == v]
        if any(r["verdict"] == "incompatible" for r in mine):
            return "incompatible"
        full = [r for r in mine if r["verdict"] == "compatible" and plain_int(r.get("written"))
                and r["written"] == len(v)]
        answers.append(bool(mine) and len(full) == len(mine))
    return "compatible" if all(answers) else "unknown"


def oracle(data, probes, policy, min_available):
    """{host: selected?} as the table says."""
    src = data["src"]["ansible_facts"]["mdev"]
    versions = source_versions(src)
    chosen = {}
    for host, entry in data.items():
        if host == "src":
            continue
        f = (entry.get("ansible_facts") or {}).get("mdev")
        if f is None or "types" not in f["gather_subset"] or "devices" not in f["gather_subset"]:
            chosen[host] = False
            continue
        alias = any(src.get(k) is not None and src.get(k) == f.get(k) for k in ("machine_id", "boot_id"))
        if alias or SRC_UUID in f["devices"] or SRC_UUID in (f.get("defined") or {}):
            chosen[host] = False
            continue
        capacity, any_compatible = 0, False
        for name, p in f["parents"].items():
            if TYPE not in p["types"]:
                continue
            verdict = offline(src, f, name, policy)
            if probes is not None:
                verdict = with_probe(verdict, probes.get(host), versions, name)
            if verdict == "compatible":
                any_compatible = True
                avail = p["types"][TYPE]["available_instances"]
                capacity += avail if plain_int(avail) and avail > 0 else 0
        chosen[host] = any_compatible and capacity >= min_available
    return chosen


# ---- the properties ------------------------------------------------------------------------------

@given(fleets(), st.sampled_from(["auto", "version", "identity"]), st.sampled_from([0, 1, 1, 2, 4]))
@settings(max_examples=1000, deadline=None, derandomize=True)
def test_selected_exactly_when_the_table_allows(fleet, policy, min_available):
    data, probes = fleet
    records = targets(data, "src", SRC_UUID, details=True, policy=policy, min_available=min_available,
                      probes=probes)
    got = {r["host"]: r["selected"] for r in records}
    expected = oracle(data, probes, policy, min_available)
    for host, selected in got.items():
        # Safety first: a selection the table does not allow is the failure that takes a VM down.
        assert not (selected and not expected[host]), ("false compatible", host, records)
    assert got == expected, records
    for rec in records:
        if rec["verdict"] == "unknown":
            assert rec["evidence"] == "unknown"
        if rec["selected"]:
            assert rec["verdict"] == "compatible" and rec["capacity"] >= min_available
            assert rec["evidence"] == ("probe" if probes is not None and source_versions(
                data["src"]["ansible_facts"]["mdev"]) else rec["evidence"])


# ---- vendor-VFIO sources --------------------------------------------------------------------------

GPU = "0000:41:00.0"


@st.composite
def gpu_hosts(draw, source=False):
    vfs = {}
    for index in range(draw(st.integers(1, 3))):
        address = "0000:41:00.%d" % (index + 4)
        creatable = {}
        if draw(st.booleans()):
            creatable["1428"] = "H100-40C"
        if draw(st.booleans()):
            creatable["1429"] = "H100-80C"
        current = draw(st.sampled_from([0, 0, 1428, 1429, None]))
        if source and index == 0:
            current = 1428
        entry = vf(GPU, current=current, creatable=creatable,
                   driver_version=draw(st.sampled_from(["580.65.06"] * 3 + ["580.95", None])),
                   device_id=draw(st.sampled_from(["2331"] * 3 + ["2330", None])),
                   driver_in_tree=draw(st.sampled_from([False, None])))
        entry["driver"] = draw(st.sampled_from(["nvidia"] * 4 + [None]))
        vfs[address] = entry
    return facts(vendor_vfio=vfs)


def vf_oracle(src_vf, host, policy, min_available):
    if policy == "version":
        return False
    vfs = [host["vendor_vfio"][a] for a in sorted(host["vendor_vfio"])]
    if not vfs:
        return False
    offers = any("1428" in v["creatable_types"] or v["current_type"] == 1428 for v in vfs)
    if not offers:
        return False
    # the VFs of one GPU must agree on the GPU's identity, or none of them vouches for it
    idents = set((tuple((v.get("pci") or {}).get(k) for k in BOARD), v.get("driver"), v.get("driver_version"),
                  v.get("driver_in_tree")) for v in vfs)
    if len(idents) > 1:
        return False
    first = vfs[0]
    pairs = [(src_vf["pci"].get(k), first["pci"].get(k)) for k in BOARD]
    pairs.append((src_vf.get("driver"), first.get("driver")))
    sv, dv = src_vf.get("driver_version"), first.get("driver_version")
    pairs.append((sv, dv) if (sv, dv) != (None, None) else (None, None))   # never in-tree here
    if not all(known_equal(a, b) for a, b in pairs):
        return False
    free = sum(1 for v in vfs if plain_int(v["current_type"]) and v["current_type"] == 0
               and "1428" in v["creatable_types"])
    return free >= min_available


@given(gpu_hosts(source=True), st.lists(gpu_hosts(), min_size=1, max_size=4),
       st.sampled_from(["auto", "identity", "version"]), st.sampled_from([0, 1, 2]))
@settings(max_examples=700, deadline=None, derandomize=True)
def test_vendor_vfio_selected_exactly_when_the_table_allows(src, hosts, policy, min_available):
    data = {"src": {"ansible_facts": {"mdev": src}}}
    data.update(("h%d" % i, {"ansible_facts": {"mdev": h}}) for i, h in enumerate(hosts))
    records = targets(data, "src", "0000:41:00.4", details=True, policy=policy, min_available=min_available)
    src_vf = src["vendor_vfio"]["0000:41:00.4"]
    for rec in records:
        expected = vf_oracle(src_vf, data[rec["host"]]["ansible_facts"]["mdev"], policy, min_available)
        assert not (rec["selected"] and not expected), ("false compatible", rec)
        assert rec["selected"] == expected, rec
        if rec["selected"]:
            free = rec["free_vfs"]
            vfs = data[rec["host"]]["ansible_facts"]["mdev"]["vendor_vfio"]
            assert all(vfs[a]["current_type"] == 0 and "1428" in vfs[a]["creatable_types"] for a in free)


# ---- one pair at a time: the identity rule and the probe override, verdict for verdict ------------

from ansible_collections.vfio.mdev_migration.tests.unit.plugins.fleet_facts import (  # noqa: E402
    migration,
    mtype,
    source_host,
)
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.plugin_utils.fleet_strategies import (  # noqa: E402
    identities,
    make_parent,
    near_identity,
    probe_outcomes,
)

EXPECTED = {"equal": ("compatible", "policy"), "different": ("incompatible", "policy"),
            "unknown": ("unknown", "unknown")}


@st.composite
def identity_pairs(draw):
    src_ident = draw(identities())
    dst_ident = draw(near_identity(src_ident))
    if draw(st.booleans()):
        # in-tree drivers: no driver version on either side, the kernel release may stand for it
        src_ident["driver_version"] = dst_ident["driver_version"] = None
        dst_ident["driver_in_tree"] = draw(st.sampled_from([src_ident["driver_in_tree"], True, False, None]))
    apis = st.sampled_from(["vfio-pci"] * 4 + ["vfio-ccw", None])
    src_api, dst_api = draw(apis), draw(apis)
    kernels = st.sampled_from(["6.8.0", "6.8.0", "6.1.0", None])
    version = draw(st.sampled_from([None, None, "v1"]))          # A/A, or P=P under the identity policy
    src = source_host(mig=migration(version))
    src["parents"][PARENT] = make_parent({TYPE: mtype(1, device_api=src_api, devices=[SRC_UUID],
                                                      mig=migration(version))}, src_ident)
    src["kernel_release"] = draw(kernels)
    dst = facts(parents={PARENT: make_parent({TYPE: mtype(2, device_api=dst_api, mig=migration(version))},
                                             dst_ident)}, kernel=draw(kernels))
    return src, dst


@given(identity_pairs(), st.sampled_from(["auto", "identity"]))
@settings(max_examples=600, deadline=None, derandomize=True)
def test_identity_rule_verdict_for_verdict(pair, policy):
    src, dst = pair
    data = {"src": {"ansible_facts": {"mdev": src}}, "t": {"ansible_facts": {"mdev": dst}}}
    (rec,) = targets(data, "src", SRC_UUID, details=True, policy=policy)
    sp, dp = src["parents"][PARENT], dst["parents"][PARENT]
    if sp["types"][TYPE]["migration"]["version"] is not None and policy == "auto":
        expected = ("compatible", "version")
    else:
        expected = EXPECTED[identity(sp, sp["types"][TYPE]["device_api"], src["kernel_release"],
                                     dp, dp["types"][TYPE]["device_api"], dst["kernel_release"])]
    assert (rec["verdict"], rec["evidence"]) == expected, rec["reasons"]


@st.composite
def probe_pairs(draw):
    kind = draw(st.sampled_from(["type", "device", "both", "both-same"]))
    type_version = draw(st.sampled_from(["v1", "v1-long-version"])) if kind != "device" else None
    dev_version = {"type": None, "device": "d1", "both": "d1", "both-same": type_version}[kind]
    src = source_host(mig=migration(type_version), device_mig=migration(dev_version))
    dst_mig = draw(st.sampled_from([migration("v0"), migration(), migration(type_version), unsupported_record()]))
    parents = {PARENT: make_parent({TYPE: mtype(2, mig=dst_mig)}, draw(identities())),
               "0000:5e:00.0": make_parent({TYPE: mtype(1, mig=dst_mig)}, draw(identities()))}
    dst = facts(parents=parents)
    versions = [v for v in (type_version, dev_version) if v is not None]
    registered = draw(probe_outcomes(sorted(set(versions)), sorted(parents)))
    return src, dst, registered


def unsupported_record():
    return {"attribute": "migration_version", "version": None, "supported": False, "errno": "ENODEV"}


@given(probe_pairs(), st.sampled_from(["auto", "identity", "version"]))
@settings(max_examples=600, deadline=None, derandomize=True)
def test_probe_override_verdict_for_verdict(pair, policy):
    src, dst, registered = pair
    data = {"src": {"ansible_facts": {"mdev": src}}, "t": {"ansible_facts": {"mdev": dst}}}
    probes = {"t": registered} if registered is not None else {}
    (rec,) = targets(data, "src", SRC_UUID, details=True, policy=policy, probes=probes, min_available=0)
    versions = source_versions(src)
    per_parent = {name: with_probe(offline(src, dst, name, policy), registered, versions, name)
                  for name in dst["parents"]}
    assert rec["selected"] == ("compatible" in per_parent.values()), (per_parent, rec["reasons"])
    if rec["selected"]:
        assert rec["evidence"] == "probe"
        assert rec["parents"] == sorted(n for n, v in per_parent.items() if v == "compatible")
    elif "unknown" in per_parent.values():
        assert rec["verdict"] == "unknown"
    else:
        assert rec["verdict"] == "incompatible"
