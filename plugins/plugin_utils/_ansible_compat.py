# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What differs between the ansible-core series the collection supports, 2.16 to 2.21, on the
controller side (PRIVATE to the collection).

Every version-dependent detail of the controller plugins lives here, in small functions that do
the same thing on every series, so that the filters, tests and actions never test a version:

- ``to_plain(value)``: a deep copy made of exact ``dict``/``list``/``str``/``int``/``float``/
  ``bool``/``None``. Values reached through ``hostvars`` are ``AnsibleUnsafeText`` (a ``str``
  whose ``__str__`` returns itself) on 2.16 to 2.18, and lazy containers and tagged strings
  (``_AnsibleLazyTemplateDict``, ``_AnsibleTaggedStr`` ...) on 2.19+. jmespath checks types by
  class name and rejects all of them.
- ``host_raw_vars(hostvars, host)``: a host's variables without templating them, or None when
  the host is unknown. ``HostVars.raw_get`` exists on every supported series, but an unknown
  host gives an ``AnsibleUndefined`` on 2.16 to 2.18 and a ``Marker`` on 2.19+, and a plain
  mapping (a fact cache read by the user) has no ``raw_get`` at all.
- ``is_hostvars(value)``: whether a filter input is the ``hostvars`` object (as opposed to a
  mapping of host name to facts).
- ``plain_args(params)``: filter keyword arguments ready for ``ArgumentSpecValidator``, which
  deep-copies them. On 2.19+ a list or dict argument is a lazy container, and deep-copying one
  copies its templar and, with it, the plugin loaders; on 2.21 that emits "Instantiating filter
  PluginLoader with aliases is deprecated" (and the same for tests) once per process.

Nothing here imports a private module of ansible-core.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping, Sequence

# str.__str__ applied to a str subclass returns an exact str copy; str(value) would call the
# subclass's __str__, which returns the unsafe value itself on ansible-core 2.16 to 2.18.
_exact_str = str.__str__
_exact_int = int.__int__
_exact_float = float.__float__


def to_plain(value):
    """Deep copy of ``value`` into exact dict/list/str/int/float/bool/None.

    Mappings become dicts with string keys, other non-string sequences and sets become lists.
    Anything else (already plain, or an object jmespath will reject with a clear error) is
    returned as it is.
    """
    if isinstance(value, Mapping):
        return dict((to_plain_str(k), to_plain(v)) for k, v in value.items())
    if isinstance(value, str):
        return _exact_str(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return _exact_int(value)
    if isinstance(value, float):
        return _exact_float(value)
    if isinstance(value, (Sequence, set, frozenset)):
        return [to_plain(v) for v in value]
    return value


def to_plain_str(value):
    """An exact ``str`` of ``value`` (the value itself when it is a str, or its str())."""
    if isinstance(value, str):
        return _exact_str(value)
    return _exact_str(str(value))


def plain_args(params):
    """``params`` with every container value replaced by a plain copy (``hostvars`` excepted),
    so that validating or deep-copying them never copies an ansible-core lazy container."""
    plain = {}
    for key, value in params.items():
        if isinstance(value, (Mapping, list, tuple, set, frozenset)) and not is_hostvars(value):
            value = to_plain(value)
        plain[key] = value
    return plain


def is_hostvars(value):
    """Whether ``value`` is ansible-core's ``hostvars`` (it has ``raw_get``)."""
    return callable(getattr(value, "raw_get", None)) and not isinstance(value, dict)


def host_raw_vars(hostvars, host):
    """The variables of ``host`` as ``hostvars`` holds them, without templating any of them, or
    None when ``hostvars`` does not know the host.

    Use it for data that modules returned (facts, registered results): they are never
    templates, and reading them through ``hostvars[host][...]`` would template every value of
    every host. The values keep their ansible-core types (unsafe or tagged strings, lazy
    containers); pass what goes to jmespath or into a report through ``to_plain``.
    """
    try:
        data = hostvars.raw_get(host)
    except KeyError:
        return None
    if not isinstance(data, Mapping):
        # AnsibleUndefined (2.16 to 2.18) or a Marker (2.19+) for an unknown host.
        return None
    return data
