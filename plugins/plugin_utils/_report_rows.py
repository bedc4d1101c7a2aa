# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Records of one shape, held as tuples or as the objects they are made of (PRIVATE to the collection).

The audit report's longest lists hold a record per host, parent and type: the placements of each
type and the members of each domain, 320,000 of each at 10,000 hosts. As dicts of nine and four
keys they cost 272 and 184 bytes each. ``Rows`` holds them as tuples of their values (a tuple of
nine values takes 112 bytes), or as the objects they are read from with a function that gives
each one's values (the fleet's members, ``_domains.Member``: a list item, 8 bytes). The JSON
renderer writes them column by column (``json_text``), each distinct value of a column encoded
once; they are given out as dicts to callers that hand the report on as plain data (the
``fleet_report`` and ``migration_domains`` filters, the tests), and to ``json.dumps`` where a
``Rows`` is met elsewhere (``as_json_data``, its ``default``).

Contract: a ``Rows`` reads as the list of dicts ``dict(zip(keys, row(record)))``, in the order of
its records; ``columns(*keys)`` gives the tuples of some values without making dicts;
``json_text`` is the text ``json.dumps`` writes for that list, keys sorted and no spaces. The
objects must not change while the report is read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from itertools import chain, repeat
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


# Classes whose equal values have one JSON text: a column of them is encoded once per distinct
# (class, value). Not float (-0.0 equals 0.0 and is written apart) nor any subclass.
_ONE_TEXT = frozenset((str, int, bool, type(None)))


class ValueTexts(dict):
    """(class, value) -> the value's JSON text by ``encode``, made when first asked: one table for
    all the rows of a report, whose hosts and parents recur in every type and domain."""

    def __init__(self, encode):
        super(ValueTexts, self).__init__()
        self.encode = encode

    def __missing__(self, key):
        text = self[key] = self.encode(key[1])
        return text

    def column(self, values):
        """``encode(value)`` of each of ``values`` (a tuple), looked up in C: one call per distinct
        string, integer, boolean, null or list of strings (a column repeats itself: 320,000
        placements at 10,000 hosts hold 10,000 hosts and a few dozen parents and versions)."""
        classes = set(map(type, values))
        if classes <= _ONE_TEXT:
            return map(self.__getitem__, zip(map(type, values), values))
        if classes == {list} and set(map(type, chain.from_iterable(values))) <= {str}:
            # A list of strings has the text of the tuple of its strings (a domain member's devices).
            return map(self.__getitem__, zip(repeat(list), map(tuple, values)))
        return map(self.encode, values)


def json_text(rows, texts):
    """The text ``texts.encode`` writes for ``rows``' list of dicts when it sorts keys and writes no
    spaces (``json.dumps(list(rows), sort_keys=True, separators=(",", ":"))``), ``texts`` a
    ``ValueTexts`` of that function for one value: written column by column, without a dict per
    record (640,000 of them at 10,000 hosts)."""
    if not len(rows):
        return "[]"
    keys, values = rows.keys, list(rows._values())
    if not keys or len(set(keys)) < len(keys) or any(key.__class__ is not str for key in keys) \
            or set(map(len, values)) != {len(keys)}:
        # No key, a key twice or not a string, a record short or long: what dict(zip()) makes of
        # them, written as the json module writes it.
        return texts.encode(rows.as_list())
    order = sorted(range(len(keys)), key=keys.__getitem__)
    columns = list(zip(*values))
    # Each record's text joined from its pieces in C: '{"key":', value, ',"key2":', value2, ..., '}'.
    pieces = []
    for position, i in enumerate(order):
        pieces.append(repeat(("{" if position == 0 else ",") + texts.encode(keys[i]) + ":"))
        pieces.append(texts.column(columns[i]))
    pieces.append(repeat("}"))
    return "[%s]" % ",".join(map("".join, zip(*pieces)))


def as_json_data(value):
    """``json.dumps``' ``default``: a ``Rows`` as its list of dicts; anything else is refused as
    the json module refuses it."""
    if isinstance(value, Rows):
        return value.as_list()
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)
