# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Records of one shape, held as tuples or as the objects they are made of (PRIVATE to the collection).

The audit report's longest lists hold a record per host, parent and type: the placements of each
type and the members of each domain, 320,000 of each at 10,000 hosts. As dicts of nine and four
keys they cost 272 and 184 bytes each. ``Rows`` holds them as tuples of their values (a tuple of
nine values takes 112 bytes), or as the objects they are read from with a function that gives
each one's values (the fleet's members, ``_domains.Member``: a list item, 8 bytes), and gives them
out as dicts: to the JSON renderer one list at a time (``as_list``, from ``json.dumps``'
``default``), and to callers that hand the report on as plain data (the ``fleet_report`` and
``migration_domains`` filters, the tests).

Contract: a ``Rows`` reads as the list of dicts ``dict(zip(keys, row(record)))``, in the order of
its records; ``columns(*keys)`` gives the tuples of some values without making dicts. The
objects must not change while the report is read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from itertools import repeat
from operator import itemgetter


class Rows:
    """Records with the keys ``keys``: ``records``, each a tuple of its values in that order, or
    objects that ``row`` turns into that tuple."""

    __slots__ = ("keys", "records", "row")

    def __init__(self, keys, records=None, row=None):
        self.keys = tuple(keys)
        self.records = [] if records is None else records
        self.row = row

    def _values(self):
        return self.records if self.row is None else map(self.row, self.records)

    def __len__(self):
        return len(self.records)

    def __iter__(self):
        # map rather than a generator: no Python frame per record (320,000 at 10,000 hosts).
        return map(dict, map(zip, repeat(self.keys), self._values()))

    def __repr__(self):
        return "Rows(%r, %d rows)" % (self.keys, len(self.records))

    def _getter(self, keys):
        positions = [self.keys.index(key) for key in keys]
        if len(positions) == 1:
            position = positions[0]
            return lambda row: (row[position],)
        return itemgetter(*positions)

    def columns(self, *keys):
        """The values of ``keys`` of each record, as tuples, in order."""
        return map(self._getter(keys), self._values())

    def as_list(self):
        """The records as a list of dicts."""
        return list(self)


def as_json_data(value):
    """``json.dumps``' ``default``: a ``Rows`` as its list of dicts; anything else is refused as
    the json module refuses it."""
    if isinstance(value, Rows):
        return value.as_list()
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)
