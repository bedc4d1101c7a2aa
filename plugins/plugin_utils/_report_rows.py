# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Records of one shape held as tuples of their values (PRIVATE to the collection).

The audit report's longest lists hold a record per host, parent and type: the placements of each
type and the members of each domain, 320,000 of each at 10,000 hosts. A dict of nine keys costs
272 bytes, a tuple of nine values 112; of four, 184 against 72. ``Rows`` holds such records as
tuples and gives them out as dicts: to the JSON renderer one list at a time (``as_list``, from
``json.dumps``' ``default``), and to callers that hand the report on as plain data (the
``fleet_report`` and ``migration_domains`` filters, the tests).

Contract: a ``Rows`` reads as the list of dicts it was made from (``as_list``, iteration), in
the order of its tuples; ``columns(*keys)`` gives the tuples of some values without making dicts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from operator import itemgetter


class Rows:
    """Records with the keys ``keys``, held as tuples of their values in that order."""

    __slots__ = ("keys", "values")

    def __init__(self, keys, values=None):
        self.keys = tuple(keys)
        self.values = [] if values is None else values

    def __len__(self):
        return len(self.values)

    def __iter__(self):
        keys = self.keys
        return (dict(zip(keys, row)) for row in self.values)

    def __repr__(self):
        return "Rows(%r, %d rows)" % (self.keys, len(self.values))

    def _getter(self, keys):
        positions = [self.keys.index(key) for key in keys]
        if len(positions) == 1:
            position = positions[0]
            return lambda row: (row[position],)
        return itemgetter(*positions)

    def columns(self, *keys):
        """The values of ``keys`` of each record, as tuples, in order."""
        return map(self._getter(keys), self.values)

    def sort(self, *keys):
        """Sort the records by the values of ``keys`` (stable, as ``list.sort``)."""
        self.values.sort(key=self._getter(keys))
        return self

    def as_list(self):
        """The records as a list of dicts."""
        return list(self)


def as_json_data(value):
    """``json.dumps``' ``default``: a ``Rows`` as its list of dicts; anything else is refused as
    the json module refuses it."""
    if isinstance(value, Rows):
        return value.as_list()
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)
