# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pair rule: can this source go to this parent of that host, on what evidence (PRIVATE).

Contract: ``decide_mdev_parent`` and ``decide_gpu`` take a source (``_source``) and one target
parent (an mdev parent offering the source's type, or a physical GPU with vendor-VFIO VFs) and
return a decision: ``verdict``, ``evidence``, ``reasons``, ``parent``, ``capacity``. Offline
only: probe evidence is laid over it by ``_probe_evidence``. Every rule compares known values
only; two unknown values are never equal. The decision table is in
docs/docsite/rst/guide_concepts.rst, and this file follows it row by row.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import is_int
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils import _facts_shape as shape
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import (
    COMPATIBLE,
    EVIDENCE_POLICY,
    EVIDENCE_VERSION,
    INCOMPATIBLE,
    KIND_MDEV,
    PCI_BOARD_KEYS,
    UNKNOWN,
    decision,
)


PROBE_DECIDES = "probe decides"


def _side(is_source):
    return "the source" if is_source else "the target"


def _pci_parent(facts_of_parent):
    """True for a PCI parent, False for a known non-PCI one (sample drivers), None when unknown."""
    subsystem = facts_of_parent.get("subsystem")
    if subsystem == "pci" or facts_of_parent.get("bus") == "pci":
        return True
    if subsystem is not None:
        return False
    return None


def _known(value):
    """A value a rule may compare: not null, and not an empty or blank string."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def identity_findings(source, target, target_kernel, target_device_api):
    """Compare the identity facts the policy names. Returns ``(mismatches, unknowns, matched)``."""
    mismatches, unknowns, matched = [], [], []

    def compare(label, src, dst):
        if not _known(src) or not _known(dst):
            unknowns.append("%s is not known on %s" % (label, _side(not _known(src))))
        elif src != dst:
            mismatches.append("%s differs: source %s, target %s" % (label, src, dst))
        else:
            matched.append("%s %s" % (label, src))

    compare("device_api", source.get("device_api"), target_device_api)
    src_pci, dst_pci = _pci_parent(source), _pci_parent(target)
    if src_pci is None or dst_pci is None:
        unknowns.append("whether the parent is a PCI device is not known on %s (no subsystem or bus in the facts)"
                        % _side(src_pci is None))
    elif src_pci != dst_pci:
        mismatches.append("the source's parent is %sa PCI device, the target's is %s" % (
            "" if src_pci else "not ", "" if dst_pci else "not"))
    elif src_pci:
        src_ids, dst_ids = source.get("pci") or {}, target.get("pci") or {}
        for key in PCI_BOARD_KEYS:
            compare("parent PCI %s" % key, src_ids.get(key), dst_ids.get(key))
    else:
        compare("parent subsystem", source.get("subsystem"), target.get("subsystem"))
    compare("driver", source.get("driver"), target.get("driver"))
    src_ver, dst_ver = source.get("driver_version"), target.get("driver_version")
    if _known(src_ver) or _known(dst_ver):
        compare("driver version", src_ver, dst_ver)
    elif source.get("driver_in_tree") is True and target.get("driver_in_tree") is True:
        # An in-tree driver has no module version: the kernel release stands for it.
        compare("kernel release (in-tree driver)", source.get("kernel_release"), target_kernel)
    else:
        unknowns.append("the driver version is not known on either side, and the driver is not known to be "
                        "in-tree on both (only then does the kernel release stand for it)")
    return mismatches, unknowns, matched


def _identity_decision(label, source, target, kernel, device_api, capacity, extra_reason=None):
    mismatches, unknowns, matched = identity_findings(source, target, kernel, device_api)
    if mismatches:
        return decision(INCOMPATIBLE, EVIDENCE_POLICY, mismatches, parent=label, capacity=capacity)
    if unknowns:
        return decision(UNKNOWN, None, unknowns, parent=label, capacity=capacity)
    reasons = ["identity policy: type %s, same %s" % (source["type_id"], ", ".join(matched))]
    return decision(COMPATIBLE, EVIDENCE_POLICY, reasons + ([extra_reason] if extra_reason else []),
                    parent=label, capacity=capacity)


def _version_gate(source, target_record, policy):
    """The version rows of the table: a final ``(verdict, evidence, reason)``, or None to go on to identity."""
    src_state, src_version, src_detail = shape.version_state(source.get("migration"))
    # A source device's record is missing when versions were not gathered; a source described by
    # its type (no device) has no device-level record at all.
    dev_state, dev_version, dev_detail = (shape.version_state(source.get("device_migration"))
                                          if source.get("device") is not None and source.get("kind") == KIND_MDEV
                                          else (shape.ABSENT, None, None))
    dst_state, dst_version, dst_detail = shape.version_state(target_record)
    if src_state == shape.UNSUPPORTED or dev_state == shape.UNSUPPORTED:
        return INCOMPATIBLE, EVIDENCE_VERSION, "the source does not support migration: %s" % (
            src_detail if src_state == shape.UNSUPPORTED else "the device's " + dev_detail)
    if dst_state == shape.UNSUPPORTED:
        return INCOMPATIBLE, EVIDENCE_VERSION, "the target type does not support migration: %s" % dst_detail
    for state, detail, side in ((src_state, src_detail, "source"), (dev_state, dev_detail, "source device")):
        if state in (shape.UNREADABLE, shape.NOT_GATHERED):
            return UNKNOWN, None, "on the %s, %s" % (side, detail)
    if dst_state in (shape.UNREADABLE, shape.NOT_GATHERED):
        return UNKNOWN, None, "on the target, %s" % dst_detail, PROBE_DECIDES
    if src_state == shape.PUBLISHED and dst_state == shape.PUBLISHED and src_version != dst_version:
        return UNKNOWN, None, ("the target publishes version %s, the source %s: only a write probe can tell "
                               "whether the target accepts it" % (dst_version, src_version)), PROBE_DECIDES
    source_publishes = shape.PUBLISHED in (src_state, dev_state)
    if source_publishes != (dst_state == shape.PUBLISHED):
        side = "source" if source_publishes else "target"
        return UNKNOWN, None, ("only the %s publishes a migration version (a different driver generation): identity "
                               "cannot vouch for it; a write probe can decide" % side), PROBE_DECIDES
    # The device-level version (RFC v5) may fold more than the type into the string: it must be
    # the target type's version too, or only a probe can tell.
    if dev_state == shape.PUBLISHED and dev_version != dst_version:
        return UNKNOWN, None, ("the source device publishes version %s, the target type %s: only a write probe can "
                               "tell whether the target accepts it" % (dev_version, dst_version)), PROBE_DECIDES
    if dst_state == shape.PUBLISHED:
        if policy == "identity":
            return None
        return COMPATIBLE, EVIDENCE_VERSION, "the target publishes the source's migration version %s" % dst_version
    if policy == "version":
        return UNKNOWN, None, "neither side publishes a migration version, so the version policy cannot decide"
    return None


def decide_mdev_parent(source, parent_name, parent, mtype, kernel, policy):
    """Offline decision for one target parent that offers the source's mdev type."""
    capacity = mtype.get("available_instances")
    notes = []
    if not is_int(capacity) or capacity < 0:
        notes.append("available_instances of %s could not be read: no free instance is counted" % source["type_id"])
        capacity = 0
    final = _version_gate(source, mtype.get("migration"), policy)
    if final is not None:
        result = decision(final[0], final[1], [final[2]] + notes, parent=parent_name, capacity=capacity)
        # Only a question about the versions themselves is the probe's to answer; an unknown
        # source, malformed facts or unknown identity stay unknown whatever a probe says.
        result["probe_decides"] = final[0] == COMPATIBLE or final[3:] == (PROBE_DECIDES,)
        return result
    result = _identity_decision(parent_name, source, parent, kernel, mtype.get("device_api"), capacity)
    result["reasons"].extend(notes)
    result["probe_decides"] = result["verdict"] == COMPATIBLE
    return result


def gpu_offers(vfs, type_id):
    """Whether a GPU (its VFs) offers vGPU ``type_id``: a VF can create it, or one already runs it."""
    return any(type_id in (vf.get("creatable_types") or {}) or str(vf.get("current_type")) == type_id
               for _address, vf in vfs)


def free_vfs(vfs, type_id):
    """VFs with no vGPU in use (``current_type`` exactly 0) that can create ``type_id``."""
    return sorted(address for address, vf in vfs
                  if is_int(vf.get("current_type")) and vf["current_type"] == 0
                  and type_id in (vf.get("creatable_types") or {}))


def _gpu_identity(vf):
    pci = vf.get("pci") or {}
    return (tuple(pci.get(k) for k in PCI_BOARD_KEYS), vf.get("driver"), vf.get("driver_version"),
            vf.get("driver_in_tree"))


def decide_gpu(source, physfn, vfs, kernel, policy):
    """Offline decision for one physical GPU of the target (its vendor-VFIO VFs)."""
    free = free_vfs(vfs, source["type_id"])
    unread = sum(1 for _a, vf in vfs if not is_int(vf.get("current_type")))
    note = ("%d VF(s) whose vGPU type could not be read are not counted as free" % unread) if unread else None
    if policy == "version":
        result = decision(UNKNOWN, None, ["vendor-VFIO VFs publish no migration version, so the version policy "
                                          "cannot decide"], parent=physfn, capacity=len(free))
    elif not gpu_offers(vfs, source["type_id"]):
        result = decision(INCOMPATIBLE, EVIDENCE_POLICY, ["GPU %s offers no vGPU type %s (no VF can create it or runs "
                                                          "it)" % (physfn, source["type_id"])],
                          parent=physfn, capacity=0)
    elif len(set(_gpu_identity(vf) for _a, vf in vfs)) > 1:
        # The VFs of one GPU report one board and driver; if they do not, none of them can vouch.
        result = decision(UNKNOWN, None, ["the VFs of GPU %s disagree on the GPU's identity (PCI ids or driver)"
                                          % physfn], parent=physfn, capacity=len(free))
    else:
        gpu = dict(vfs[0][1], subsystem="pci", bus="pci")
        result = _identity_decision(physfn, source, gpu, kernel, "vfio-pci", len(free),
                                    "%d free VF(s) can create vGPU type %s" % (len(free), source["type_id"]))
    if note:
        result["reasons"].append(note)
    result["free_vfs"] = free
    return result
