# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin: build the fleet audit report on the controller and write its files atomically.

The report of a large fleet is large (one placement per host and type); building and writing
it here, in Python, avoids passing it through templating three times. Its files are compared with
the files already there, and written, as they are rendered: a report of 100,000 hosts (900 MB of
JSON) is never held whole as text.

A file counts as changed only when its content apart from ``generated_at`` differs from the file
already there (or its mode does): an audit of an unchanged fleet is ``changed=false`` and leaves
the files, and their time stamp, as they were. In check mode nothing is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import datetime
import gc
import json
import os
import stat
import tempfile

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import TIMESTAMP_FORMAT
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_sharing import SharedRecords
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._fleet_input import Fleet
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_model import build_report
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_render import generated_at_of, pieces
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._report_slices import (
    merge_partials,
    partial_report,
    slice_problem,
)
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import PolicyInputError

PLUGIN = "fleet_audit_report"
FORMATS = {"json": "json", "markdown": "md", "html": "html"}
DEFAULT_MODE = "0644"
DIFF_MAX_BYTES = 256 * 1024     # larger files are reported changed without a diff
WRITE_SLICE = 1024 * 1024       # characters encoded at a time when a file is written
ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    name=dict(type="str", default="mdev-audit"),
    formats=dict(type="list", elements="str", default=list(FORMATS), choices=list(FORMATS)),
    hosts=dict(type="list", elements="str"),
    probes=dict(type="raw"),
    policy=dict(type="str", default="auto", choices=["auto", "version", "identity"]),
    mode=dict(type="raw", default=DEFAULT_MODE),
    partial=dict(type="bool", default=False),
    slice=dict(type="str"),
    merge_from=dict(type="list", elements="path"),
    expect_slices=dict(type="int"),
    max_spread=dict(type="int", default=21600),
    keep_merged=dict(type="bool", default=True),
)
# With merge_from, these come from the partial reports: given as well, they would be ignored.
MERGE_TAKES = ("hosts", "probes", "policy")


class _ActionArgs:
    """What ``_fleet_input.Fleet`` needs to report bad input: an error naming this action."""

    name = "vfio.mdev_migration.%s" % PLUGIN

    def fail(self, message):
        raise AnsibleActionFail("%s: %s" % (self.name, message))


def parse_mode(value):
    """The permission bits of the ``mode`` option: an octal string such as ``0644`` or an integer."""
    if isinstance(value, bool):
        raise ValueError("a boolean")
    if isinstance(value, int):
        mode = value
    else:
        text = str(value).strip()
        if not text or len(text) > 5 or any(c not in "01234567" for c in text.lstrip("0o") or "0"):
            raise ValueError("%r is not an octal mode such as '0644'" % (value,))
        mode = int(text.lstrip("0o") or "0", 8)
    if not 0 <= mode <= 0o7777:
        raise ValueError("%r is out of range (0 to 07777)" % (value,))
    if not mode & stat.S_IRUSR:
        raise ValueError("%s would make the report unreadable by its owner" % format(mode, "04o"))
    return mode


def _current_mode(path):
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def _encoded(text_pieces):
    """UTF-8 bytes of ``text_pieces``, at most WRITE_SLICE characters encoded at a time: a report
    of 100,000 hosts is never held a second time as bytes."""
    for piece in text_pieces:
        for start in range(0, len(piece), WRITE_SLICE):
            yield piece[start:start + WRITE_SLICE].encode("utf-8")


def _small_text(path):
    """The text of the file at ``path`` for a diff: "" when there is none, None when it is over
    DIFF_MAX_BYTES characters (as the new text is counted)."""
    most = 4 * DIFF_MAX_BYTES       # bytes of that many characters in UTF-8, at most
    try:
        with open(path, "rb") as handle:
            data = handle.read(most + 1)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise _cannot_read(path, exc)
    text = data.decode("utf-8", "replace") if len(data) <= most else None
    return text if text is not None and len(text) <= DIFF_MAX_BYTES else None


def _cannot_read(path, exc):
    return AnsibleError("%s: cannot read the existing report file %s: %s" % (PLUGIN, path, to_native(exc)))


def stamp_of_file(path, fmt):
    """The ``generated_at`` of the report file at ``path`` (its first line that carries one), or
    None when there is no file or no stamp in it; read a line at a time."""
    try:
        with open(path, "rb") as handle:
            for line in handle:
                stamp = generated_at_of(fmt, line.decode("utf-8", "replace"))
                if stamp is not None:
                    return stamp
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _cannot_read(path, exc)
    return None


def file_holds(path, text_pieces):
    """Whether the file at ``path`` holds exactly the text of ``text_pieces``, compared as they come."""
    try:
        with open(path, "rb") as handle:
            for chunk in _encoded(text_pieces):
                if handle.read(len(chunk)) != chunk:
                    return False
            return handle.read(1) == b""
    except OSError as exc:
        raise _cannot_read(path, exc)


class _Head:
    """The text of pieces passing through, kept while it is at most ``limit`` characters (for a diff)."""

    def __init__(self, text_pieces, limit):
        self._pieces, self._limit, self._kept, self._size = text_pieces, limit, [], 0

    def __iter__(self):
        for piece in self._pieces:
            self._size += len(piece)
            if self._size <= self._limit:
                self._kept.append(piece)
            else:
                self._kept = None
            yield piece

    @property
    def text(self):
        """The whole text, or None when it was longer than the limit."""
        return None if self._size > self._limit else "".join(self._kept)


def write_temporary(path, text_pieces, mode):
    """A new file beside ``path`` holding ``text_pieces`` (synced, with ``mode``): its name. Renamed
    over ``path`` by the caller, so a reader sees the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in _encoded(text_pieces):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def plan_file(path, fmt, report, mode, write=True, diff=False, rendering=pieces):
    """Compare ``report`` rendered as ``fmt`` with the file at ``path`` and, when its content apart
    from ``generated_at`` differs and ``write``, write it to a temporary file beside it.

    A dict: ``changed``; ``tmp`` (the temporary file, or None); ``chmod`` (unchanged content, other
    mode); with ``diff``, ``before`` and ``after`` (None for a file over DIFF_MAX_BYTES).
    Nothing is held whole: the rendering is compared with the file, and written, as it comes."""
    plan = {"path": path, "format": fmt, "changed": True, "tmp": None, "chmod": False, "before": None, "after": None}
    old_at = stamp_of_file(path, fmt)
    if old_at is not None and file_holds(path, rendering(dict(report, generated_at=old_at), fmt)):
        plan.update(changed=False, chmod=_current_mode(path) != mode)
        return plan
    if diff:
        plan["before"] = _small_text(path)
    head = _Head(rendering(report, fmt), DIFF_MAX_BYTES if diff else -1)
    if write:
        plan["tmp"] = write_temporary(path, head, mode)
    elif diff:
        for _piece in head:     # check mode: rendered for the diff only
            pass
    plan["after"] = head.text if diff else None
    return plan


def slicing_problem(args, given_args):
    """What is wrong with the options of a sliced audit (``partial``, ``slice``, ``merge_from``,
    ``expect_slices``, ``max_spread``), or None; ``given_args`` are the options as the task gave them."""
    if args["partial"] and args["merge_from"] is not None:
        return "partial writes one slice's partial report and merge_from merges them; give one of them"
    if args["partial"] and slice_problem(args["slice"]):
        return "slice (required with partial): %s" % slice_problem(args["slice"])
    given = [k for k in MERGE_TAKES if k in given_args]
    if args["merge_from"] is not None and given:
        return "with merge_from, %s come from the partial reports; do not give %s" % (
            ", ".join(MERGE_TAKES), ", ".join(given))
    if args["merge_from"] is None and args["expect_slices"] is not None:
        return "expect_slices applies to merge_from only"
    for option in ("max_spread", "keep_merged"):
        if args["merge_from"] is None and option in given_args:
            return "%s applies to merge_from only" % option
    if args["max_spread"] < 0:
        return "max_spread must be a number of seconds (0 or more), got %d" % args["max_spread"]
    return None


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector paused while the report is built and rendered.

    The report of 10,000 hosts makes millions of objects, none of them in a cycle; the collector
    would walk all of them again and again (a third of the time). Whatever is left is collected
    once it runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _diff(plan):
    if not plan["changed"] or plan["before"] is None or plan["after"] is None:
        return None
    return {"before_header": plan["path"], "after_header": plan["path"], "before": plan["before"],
            "after": plan["after"]}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if not args["name"] or "/" in args["name"] or args["name"].startswith(".") or "\0" in args["name"]:
            raise AnsibleActionFail("%s: name %r must be a plain file name" % (PLUGIN, args["name"]))
        if not args["formats"]:
            raise AnsibleActionFail("%s: formats must name at least one of %s" % (PLUGIN, ", ".join(FORMATS)))
        try:
            mode = parse_mode(args["mode"])
        except ValueError as exc:
            raise AnsibleActionFail("%s: mode: %s" % (PLUGIN, exc))
        problem = slicing_problem(args, self._task.args)
        if problem:
            raise AnsibleActionFail("%s: %s" % (PLUGIN, problem))
        dest = args["dest"]
        if os.path.exists(dest) and not os.path.isdir(dest):
            raise AnsibleActionFail("%s: dest %s exists and is not a directory" % (PLUGIN, dest))
        self._now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        generated_at = self._now.strftime(TIMESTAMP_FORMAT)
        self._merged = []
        write = not self._task.check_mode
        plans = []
        try:
            with collector_paused():
                files, summary = self._files(args, task_vars, generated_at)
                # Bad input has failed by now, before anything is written; each file is rendered
                # into a temporary file beside it, and all of them are renamed once all are there.
                if write:
                    os.makedirs(dest, exist_ok=True)
                for path, fmt, report in files:
                    # No diff of HTML: one long line of page and data, unreadable as a diff.
                    plans.append(plan_file(path, fmt, report, mode, write=write,
                                           diff=bool(self._task.diff) and fmt != "html"))
            for plan in plans:
                if plan["tmp"] is not None:
                    os.replace(plan["tmp"], plan["path"])
                    plan["tmp"] = None
                elif plan["chmod"] and write:
                    os.chmod(plan["path"], mode)
        except PolicyInputError as exc:
            raise AnsibleActionFail("%s: %s" % (PLUGIN, exc))
        except OSError as exc:
            raise AnsibleActionFail("%s: cannot write the report in %s: %s" % (PLUGIN, dest, to_native(exc)))
        finally:
            for plan in plans:
                if plan["tmp"] is not None:
                    _remove(plan["tmp"])
        if args["merge_from"] is not None:
            removed, left = remove_merged(self._merged) if write and not args["keep_merged"] else ([], [])
            result.update(removed=removed, left=left)
        changed_files = [p["path"] for p in plans if p["changed"] or p["chmod"]] + result.get("removed", [])
        result.update(changed=bool(changed_files), files=[p["path"] for p in plans], changed_files=changed_files,
                      summary=summary, generated_at=generated_at)
        if self._task.diff:
            diffs = [d for d in (_diff(p) for p in plans) if d is not None]
            if diffs:
                result["diff"] = diffs
        return result

    def _files(self, args, task_vars, generated_at):
        """``([(path, format, data)], summary)``: the report (or this slice's partial report) and
        the files it goes to; bad input fails here, before anything is written."""
        dest = args["dest"]
        if args["partial"]:
            partial = self._partial(args, task_vars, generated_at)
            path = os.path.join(dest, "%s.partial-%s.json" % (args["name"], args["slice"]))
            summary = {"slice": args["slice"], "hosts": len(partial["hosts"]),
                       "hosts_with_facts": sum(1 for f in partial["hosts"].values() if f is not None),
                       "hosts_without_facts": sorted(h for h, f in partial["hosts"].items() if f is None)}
            return [(path, "json", partial)], summary
        report = self._report(args, task_vars, generated_at)
        return [(os.path.join(dest, "%s.%s" % (args["name"], FORMATS[fmt])), fmt, report)
                for fmt in dict.fromkeys(args["formats"])], report["summary"]

    def _fleet(self, task_vars):
        hostvars = task_vars.get("hostvars")
        if hostvars is None:
            raise AnsibleActionFail("%s: no hostvars available" % PLUGIN)
        return Fleet(_ActionArgs(), hostvars)

    def _partial(self, args, task_vars, generated_at):
        """One slice's partial report: its hosts' facts and probe outcomes, judged only at the merge."""
        fleet = self._fleet(task_vars)
        return partial_report(fleet.report_fleet(args["hosts"]), args["policy"], fleet.probe_lookup(args["probes"]),
                              args["slice"], generated_at)

    def _report(self, args, task_vars, generated_at):
        if args["merge_from"] is None:
            fleet = self._fleet(task_vars)
            # Equal records of the hosts' facts are held once: the report's files are written from
            # them, and nothing templates them afterwards.
            return build_report(fleet.report_fleet(args["hosts"], SharedRecords()), args["policy"],
                                fleet.probe_lookup(args["probes"]), generated_at, compact=True)
        self._merged = [(path, _load_partial(path)) for path in args["merge_from"]]
        merged, policy, probes = merge_partials([(path, partial) for path, (partial, _seen) in self._merged],
                                                args["expect_slices"], args["max_spread"], self._now)
        return build_report(merged, policy, probes, generated_at, compact=True)


def _file_state(stat_result):
    return stat_result.st_dev, stat_result.st_ino, stat_result.st_size, stat_result.st_mtime_ns


def _load_partial(path):
    """``(partial, state)``: the partial report and the state of the file it was read from."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8")), _file_state(os.fstat(handle.fileno()))
    except (OSError, ValueError) as exc:
        raise PolicyInputError("cannot read the partial report %s: %s" % (path, to_native(exc)))


def remove_merged(merged):
    """``(removed, left)``: the partial reports merged, removed once the report is written, and
    those left because they changed since they were read (a slice run again meanwhile: its new
    report was not merged, so it is kept for the next merge). One already gone (another merge, or
    someone, removed it meanwhile) is neither: what was asked is done, and the report written."""
    removed, left = [], []
    for path, (_partial, seen) in merged:
        try:
            if _file_state(os.stat(path)) != seen:
                left.append(path)
                continue
            os.unlink(path)
            removed.append(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise AnsibleActionFail("%s: the report is written, but the partial report %s could not be removed: %s"
                                    % (PLUGIN, path, to_native(exc)))
    return removed, left
