# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The words of a verdict (PRIVATE to the collection).

Every controller file speaks of verdicts, evidence and policies with these names only. An
``unknown`` verdict always carries ``unknown`` evidence: there is nothing it rests on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.module_utils._constants import COMPATIBLE, INCOMPATIBLE

UNKNOWN = "unknown"

EVIDENCE_PROBE = "probe"
EVIDENCE_VERSION = "version"
EVIDENCE_POLICY = "policy"
EVIDENCE_UNKNOWN = "unknown"

POLICIES = ("auto", "version", "identity")

# Strongest evidence first: ranking and "best of several parents" use these orders.
EVIDENCE_RANK = {EVIDENCE_PROBE: 0, EVIDENCE_VERSION: 1, EVIDENCE_POLICY: 2, EVIDENCE_UNKNOWN: 3}
VERDICT_RANK = {COMPATIBLE: 0, UNKNOWN: 1, INCOMPATIBLE: 2}

# What mdev_version_probe says of one write (its record's ``verdict``): the same words.
PROBE_ACCEPTED = COMPATIBLE
PROBE_REFUSED = INCOMPATIBLE

KIND_MDEV = "mdev"
KIND_VENDOR_VFIO = "vendor_vfio"

PCI_BOARD_KEYS = ("vendor_id", "device_id", "subsystem_vendor_id", "subsystem_device_id")

NO_FACTS = "no mdev facts for this host (unreachable, or mdev_facts did not run)"


class PolicyInputError(ValueError):
    """A malformed argument or source; the message names it."""


def decision(verdict, evidence, reasons, **extra):
    """A verdict record; ``unknown`` never keeps evidence."""
    if verdict == UNKNOWN:
        evidence = EVIDENCE_UNKNOWN
    record = {"verdict": verdict, "evidence": evidence, "reasons": list(reasons)}
    record.update(extra)
    return record
