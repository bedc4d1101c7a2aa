# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What one target parent can still take while a plan places devices on it (PRIVATE).

Contract: a ``ParentCapacity`` is one mdev parent (or one GPU of vendor-VFIO VFs) of a target
host, made with the types of the devices it holds now. ``offer(type_id, free)`` records the free
instances of a type that the facts show (after mdevctl reservations); ``left(type_id)`` is how
many more the plan may count on; ``take``/``give_back`` place and unplace one instance.

The kernel reports free instances per type as if no other type were created next, so the plan
must not add them up across types. Two cases:

- Homogeneous (the default): a parent holding devices of at most one type is assumed to take one
  type only - the type it holds, or, when it holds none, the first type the plan places on it.
  NVIDIA time-sliced vGPUs behave so on many drivers; the other types read 0 free once a device
  exists, which facts gathered before the plan cannot show.
- Mixed: a parent whose facts show devices of two or more types already mixes them. Its
  instances are then treated as shares of one pool: an instance of a type with F free instances
  takes 1/F of what is left, so ``left(t) = floor(F_t * (1 - sum(placed_u / F_u)))``. Since the
  kernel's F_u = floor(pool / size_u), 1/F_u is never less than the real share, and the figure
  never exceeds what the pool can hold.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from fractions import Fraction


class ParentCapacity:
    """One target parent during a plan (see the module docstring)."""

    def __init__(self, existing_types):
        self.existing = frozenset(existing_types)
        self.mixed = len(self.existing) > 1
        self.free = {}          # type_id -> free instances the facts show
        self.placed = {}        # type_id -> instances the plan has placed
        self._placed = set()    # the types with an instance placed (kept as they change: left() asks often)

    def offer(self, type_id, free):
        self.free.setdefault(type_id, max(0, free))

    def _allowed(self, type_id):
        if self.mixed:
            return True
        fixed = self.existing or self._placed
        return not fixed or type_id in fixed

    def used(self):
        """The share of a mixed parent's pool the plan has taken (0 to 1)."""
        return sum((Fraction(n, self.free[t]) for t, n in self.placed.items() if n), Fraction(0))

    def left(self, type_id):
        free = self.free.get(type_id, 0)
        if free <= 0 or not self._allowed(type_id):
            return 0
        if not self.mixed:
            return free - self.placed.get(type_id, 0)
        return int(free * (1 - self.used()))

    def take(self, type_id):
        self.placed[type_id] = self.placed.get(type_id, 0) + 1
        self._placed.add(type_id)

    def give_back(self, type_id):
        self.placed[type_id] -= 1
        if not self.placed[type_id]:
            self._placed.discard(type_id)

    def why_none(self, type_id):
        """Why ``left(type_id)`` is 0, as a sentence."""
        if self.free.get(type_id, 0) <= 0:
            return "no free instance of %s" % type_id
        if not self._allowed(type_id):
            holds = sorted(self.existing or self._placed)
            return ("it %s %s, and a parent that takes one type cannot be assumed to take another"
                    % ("holds" if self.existing else "is planned for", ", ".join(holds)))
        return "its %d free instance(s) of %s are taken by the plan" % (self.free[type_id], type_id)
