# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil
import subprocess
import time

import pytest

from ansible_collections.vfio.mdev_migration.plugins.module_utils._sysfs import MAX_VALUE_BYTES, Sysfs
from ansible_collections.vfio.mdev_migration.tests.unit.plugins.sysfs_tree import Link


def test_read_strips_one_trailing_newline(tree):
    fs = Sysfs(tree({"a": b"value\n\n", "b": b"plain"}))
    assert fs.read("a") == ("value\n", None)
    assert fs.read("b") == ("plain", None)


def test_read_absent_attribute_is_enoent_with_path(tree):
    root = tree({"dir": None})
    value, err = Sysfs(root).read("dir/missing")
    assert value is None
    assert err.errno == "ENOENT"
    assert err.path == os.path.join(os.path.realpath(root), "dir/missing")


def test_read_directory_reports_errno(tree):
    err = Sysfs(tree({"dir": None})).read("dir")[1]
    assert err.errno == "EISDIR"


def test_read_non_utf8_is_eilseq(tree):
    err = Sysfs(tree({"bad": b"\xff\xfe\n"})).read("bad")[1]
    assert err.errno == "EILSEQ"
    assert "UTF-8" in err.message


def test_read_limit_is_exactly_4096_bytes(tree):
    fs = Sysfs(tree({"full": b"x" * MAX_VALUE_BYTES, "over": b"x" * (MAX_VALUE_BYTES + 1)}))
    value, err = fs.read("full")
    assert err is None and len(value) == MAX_VALUE_BYTES
    value, err = fs.read("over")
    assert value is None and err.errno == "EOVERFLOW"


def test_read_uses_one_bounded_read(tree, monkeypatch):
    fs = Sysfs(tree({"a": "1"}))
    calls = []
    real_read = os.read

    def spy(fd, n):
        calls.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", spy)
    fs.read("a")
    assert calls == [MAX_VALUE_BYTES + 1]


def test_read_int(tree):
    fs = Sysfs(tree({"n": "12", "neg": "-1", "word": "twelve"}))
    assert fs.read_int("n") == (12, None)
    assert fs.read_int("neg", signed=True) == (-1, None)
    value, err = fs.read_int("word")
    assert value is None and err.errno == "EINVAL" and "twelve" in err.message


@pytest.mark.parametrize("text", ["1_000", "-1", "+1", " 12", "12 ", "0x10", "\u0661\u0662", "\uff11", "1" * 21, ""])
def test_read_int_is_strict_ascii_decimal(tree, text):
    fs = Sysfs(tree({"n": text}))
    value, err = fs.read_int("n")
    assert value is None and err.errno == "EINVAL"


def test_read_int_signed_allows_one_minus_only(tree):
    fs = Sysfs(tree({"a": "-1", "b": "--1", "c": "-"}))
    assert fs.read_int("a", signed=True) == (-1, None)
    assert fs.read_int("b", signed=True)[1].errno == "EINVAL"
    assert fs.read_int("c", signed=True)[1].errno == "EINVAL"
    assert fs.read_int("a")[1].errno == "EINVAL"


def test_link_escaping_root_is_refused(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret").write_text("s\n")
    fs = Sysfs(tree({"escape": Link(str(outside)), "rel": Link("../../../../../../../../etc")}))
    value, err = fs.read("escape/secret")
    assert value is None and err.errno == "EXDEV" and "outside" in err.message
    names, err = fs.listdir("rel")
    assert names is None and err.errno == "EXDEV"
    name, err = fs.link_name("escape")
    assert name is None and err.errno == "EXDEV"


def test_dotdot_in_path_cannot_leave_root(tree):
    fs = Sysfs(tree({"a": "1"}))
    value, err = fs.read("../../../../etc/hostname")
    assert value is None and err.errno == "EXDEV"


def test_link_name_and_dangling(tree):
    fs = Sysfs(tree({"t/x": None, "l": Link("t/x"), "d": Link("t/nothing")}))
    assert fs.link_name("l") == ("x", None)
    assert fs.link_name("t/x") == (None, None)
    name, err = fs.link_name("d")
    assert name is None and err.errno == "ENOENT" and "dangling" in err.message


def test_listdir_absent_is_empty_and_sorted(tree):
    fs = Sysfs(tree({"d/b": "1", "d/a": "1"}))
    assert fs.listdir("nothing") == ([], None)
    assert fs.listdir("d") == (["a", "b"], None)
    names, err = fs.listdir("d/a")
    assert names is None and err.errno == "ENOTDIR"


def test_write_once_single_write_without_create_or_trunc(tree, monkeypatch):
    root = tree({"attr": "old"})
    fs = Sysfs(root)
    opened, writes = [], []
    real_open, real_write = os.open, os.write
    monkeypatch.setattr(os, "open", lambda p, f, *a: opened.append(f) or real_open(p, f, *a))
    monkeypatch.setattr(os, "write", lambda fd, d: writes.append(d) or real_write(fd, d))
    assert fs.write_once("attr", b"new") == (3, None)
    assert writes == [b"new"]
    assert opened[0] & os.O_ACCMODE == os.O_WRONLY
    assert not opened[0] & (os.O_CREAT | os.O_TRUNC | os.O_APPEND)


def test_write_once_absent_attribute_creates_nothing(tree):
    root = tree({"d": None})
    written, err = Sysfs(root).write_once("d/attr", b"x")
    assert written is None and err.errno == "ENOENT"
    assert not os.path.exists(os.path.join(root, "d/attr"))


def test_write_once_outside_root_is_refused(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("out")
    (outside / "f").write_text("keep")
    fs = Sysfs(tree({"esc": Link(str(outside))}))
    written, err = fs.write_once("esc/f", b"x")
    assert written is None and err.errno == "EXDEV"
    assert (outside / "f").read_text() == "keep"


def test_write_once_refuses_an_attribute_that_is_a_link_inside_the_root(tree):
    root = tree({"real/attr": "keep", "d/attr": Link("real/attr")})
    fs = Sysfs(root)
    written, err = fs.write_once("d/attr", b"x")
    assert written is None and err.errno == "ELOOP" and "symbolic link" in err.message
    with open(os.path.join(root, "real/attr")) as handle:
        assert handle.read() == "keep\n"
    # the positive control: the real attribute is written
    assert fs.write_once("real/attr", b"x") == (1, None)


def test_read_without_following_refuses_a_link(tree):
    fs = Sysfs(tree({"real/attr": "v", "d/attr": Link("real/attr")}))
    assert fs.read("d/attr") == ("v", None)
    assert fs.read("d/attr", follow=False)[1].errno == "ELOOP"
    assert fs.read("real/attr", follow=False) == ("v", None)


# -- SysfsDir: a directory opened once, its entries read by name ---------------------------------

def _outcome(result):
    value, err = result
    return value, err.as_dict() if err is not None else None


@pytest.fixture
def mixed_tree(tree, tmp_path_factory):
    """A directory holding every kind of entry a read can meet, and files outside the root."""
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret").write_text("s\n")
    (outside / "sub").mkdir()
    return tree({
        "t/text": "value", "t/num": "12", "t/neg": "-3", "t/word": "twelve", "t/bad": b"\xff\n",
        "t/full": b"7" * MAX_VALUE_BYTES, "t/over": b"7" * (MAX_VALUE_BYTES + 1), "t/sub/b": "1", "t/sub/a": "1",
        "t/inlink": Link("other/attr"), "t/indir": Link("other"), "other/attr": "linked", "other/x": "1",
        "t/escape": Link(str(outside / "secret")), "t/escdir": Link(str(outside)),
        "t/dangling": Link("nowhere"), "t/relesc": Link("../../../../../../../../etc"),
    })


ENTRIES = ["text", "num", "neg", "word", "bad", "full", "over", "sub", "sub/a", "inlink", "indir", "escape",
           "escdir", "escdir/secret", "dangling", "relesc", "relesc/hostname", "missing", "..", ".", "",
           "../other/attr", "../../../../../../../etc/hostname", "indir/attr", "sub/../text"]


@pytest.mark.parametrize("directory", ["t", "t/indir/..", "other", "t/escdir", "t/missing", "t/text", "."])
def test_dir_reads_as_the_path_based_way(mixed_tree, directory):
    fs = Sysfs(mixed_tree)
    with fs.opendir(directory) as src:
        for name in ENTRIES:
            path = os.path.join(directory, name)
            assert _outcome(src.read(name)) == _outcome(fs.read(path)), name
            assert _outcome(src.read(name, follow=False)) == _outcome(fs.read(path, follow=False)), name
            assert _outcome(src.read_int(name)) == _outcome(fs.read_int(path)), name
            assert _outcome(src.read_int(name, signed=True)) == _outcome(fs.read_int(path, signed=True)), name
            assert _outcome(src.listdir(name)) == _outcome(fs.listdir(path)), name


def test_dir_outcomes_are_the_expected_ones(mixed_tree):
    # The comparison above is only as good as the path-based answers: pin the ones that matter.
    with Sysfs(mixed_tree).opendir("t") as src:
        assert src.read("text") == ("value", None)
        assert src.read_int("neg", signed=True) == (-3, None)
        assert src.read("inlink") == ("linked", None)
        assert src.read("inlink", follow=False)[1].errno == "ELOOP"
        assert src.listdir("sub") == (["a", "b"], None)
        assert src.listdir("indir") == (["attr", "x"], None)
        assert src.listdir("missing") == ([], None)
        assert src.listdir("text")[1].errno == "ENOTDIR"
        for name in ("escape", "escdir/secret", "relesc/hostname", "../../../../../../../etc/hostname"):
            value, err = src.read(name)
            assert value is None and err.errno == "EXDEV", name
        assert src.listdir("escdir")[1].errno == "EXDEV"
        assert src.read("over")[1].errno == "EOVERFLOW"
        assert src.read("bad")[1].errno == "EILSEQ"
        assert src.read("missing")[1].as_dict() == {
            "path": os.path.join(os.path.realpath(mixed_tree), "t/missing"), "errno": "ENOENT",
            "message": "No such file or directory"}


def test_dir_that_escapes_is_not_opened(mixed_tree):
    # A directory link leaving the root gets no descriptor: its entries are refused by path.
    with Sysfs(mixed_tree).opendir("t/escdir") as src:
        assert src._fd is None                  # pylint: disable=protected-access
        assert src.read("secret")[1].errno == "EXDEV"


def test_dir_reads_the_directory_it_checked_when_its_path_is_swapped(mixed_tree, tmp_path_factory):
    # After the check, the directory's path is made a link that leaves the root: entries are
    # still read in the directory that was checked, never through the new link.
    outside = tmp_path_factory.mktemp("swap")
    (outside / "text").write_text("outside\n")
    fs = Sysfs(mixed_tree)
    with fs.opendir("t") as src:
        os.rename(os.path.join(mixed_tree, "t"), os.path.join(mixed_tree, "t.old"))
        os.symlink(str(outside), os.path.join(mixed_tree, "t"))
        assert src.read("text") == ("value", None)
        assert src.listdir("sub") == (["a", "b"], None)


def test_dir_entries_cost_no_path_resolution(mixed_tree, monkeypatch):
    fs = Sysfs(mixed_tree)
    with fs.opendir("t") as src:
        def refuse(*args):
            raise AssertionError("path resolved for a plain entry")
        monkeypatch.setattr(os.path, "realpath", refuse)
        monkeypatch.setattr(os, "lstat", refuse)
        assert src.read("text") == ("value", None)
        assert src.read_int("num") == (12, None)
        assert src.listdir("sub") == (["a", "b"], None)
        assert src.read("missing")[1].errno == "ENOENT"


def test_dir_descriptor_is_closed(mixed_tree):
    fds = os.listdir("/proc/self/fd")
    fs = Sysfs(mixed_tree)
    with fs.opendir("t") as src:
        assert src.read("text") == ("value", None)
        assert len(os.listdir("/proc/self/fd")) == len(fds) + 1
    assert len(os.listdir("/proc/self/fd")) == len(fds)
    src.close()         # closing twice is harmless


def _kernel_errno(path):
    """What the kernel says of following ``path``: None, or the errno of its refusal."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno
    return None


def test_resolution_of_links_is_realpaths(tree, tmp_path_factory):
    # Links are resolved from their cached directory, not from / again: every answer must be
    # os.path.realpath's, or confinement would judge another path than the one opened.
    outside = tmp_path_factory.mktemp("beyond")
    (outside / "d").mkdir()
    root = tree({"devices/p/0000:01:00.0/vendor": "1", "devices/p/0000:01:00.0/sub/x": "1", "bus/pci/drivers/nv": None})
    links = {
        "class/mdev_bus/a": "../../devices/p/0000:01:00.0",     # a parent, as sysfs writes it
        "class/mdev_bus/b": "../mdev_bus/a",                    # a chain
        "class/mdev_bus/c": "a/sub/..",                         # ".." after a link: not lexical
        "class/mdev_bus/d": "a/sub/../../0000:01:00.0/./sub//",  # dots, double and trailing slashes
        "class/mdev_bus/e": "../../../../../../../../../..",     # far above everything
        "class/mdev_bus/f": str(outside / "d"),                  # absolute, outside
        "class/mdev_bus/g": os.path.join(str(root), "bus"),      # absolute, inside
        "class/mdev_bus/h": "nowhere/../a",                     # through a missing component
        "class/mdev_bus/i": "j", "class/mdev_bus/j": "i",        # a loop
        "class/mdev_bus/k": "k/x",                               # a loop through itself
        "class/mdev_bus/l": "b/../b/sub",                        # the same link twice
        "class/mdev_bus/m": ".", "class/mdev_bus/n": "..",
        "devices/p/0000:01:00.0/driver": "../../../bus/pci/drivers/nv",
        "devices/p/0000:01:00.0/up": "../../../../../" + os.path.basename(str(outside)),
    }
    for rel, target in links.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        os.symlink(target, os.path.join(root, rel))
    real_root = os.path.realpath(root)
    paths = [rel + extra for rel in links for extra in ("", "/vendor", "/sub", "/sub/x", "/driver", "/..")]
    # A new tree for each path (nothing remembered from another path), then one tree for all of
    # them in both orders: what one resolution remembers must not change another's answer.
    shared = Sysfs(root)
    for fs, rel in [(Sysfs(root), rel) for rel in paths] + [(shared, rel) for rel in paths + paths[::-1]]:
        expected = os.path.realpath(os.path.join(real_root, rel))
        got, err = fs.resolve(rel)
        if _kernel_errno(os.path.join(real_root, rel)) == errno.ELOOP:
            # The kernel refuses a loop; realpath's answer for it is not a resolution.
            assert got is None and err.errno == "ELOOP", rel
        elif expected == real_root or expected.startswith(real_root + "/"):
            assert err is None and os.path.normpath(os.path.join(real_root, got)) == expected, rel
        else:
            assert got is None and err.errno == "EXDEV" and expected in err.message, rel
    assert Sysfs(root).resolve("class/mdev_bus/b") == ("devices/p/0000:01:00.0", None)
    assert Sysfs(root).resolve("class/mdev_bus/f")[1].errno == "EXDEV"


def test_an_entry_created_after_it_was_found_absent_is_seen(tree):
    # A device created during a run (mdev_device) is found after it was looked up and absent.
    root = tree({"devices/p/0000:01:00.0/vendor": "1"})
    fs = Sysfs(root)
    assert fs.resolve("bus/mdev/devices/u") == ("bus/mdev/devices/u", None)
    assert fs.link_name("bus/mdev/devices/u") == (None, None)
    os.makedirs(os.path.join(root, "bus/mdev/devices"))
    os.symlink("../../../devices/p/0000:01:00.0", os.path.join(root, "bus/mdev/devices/u"))
    assert fs.resolve("bus/mdev/devices/u") == ("devices/p/0000:01:00.0", None)
    assert fs.link_name("bus/mdev/devices/u") == ("0000:01:00.0", None)


@pytest.fixture
def swap_tree(tree, tmp_path_factory):
    """A root with ``d/e/`` and ``L -> d/e``, and a directory outside it holding ``e/secret``."""
    outside = tmp_path_factory.mktemp("elsewhere")
    (outside / "e").mkdir()
    (outside / "e" / "secret").write_text("outside\n")
    root = tree({"d/e/in": "inside"})
    os.symlink("d/e", os.path.join(root, "L"))
    return root, str(outside)


def test_a_directory_made_a_link_after_a_resolution_is_checked_again(swap_tree):
    # A run resolves links, then the tree changes: every later access is judged on the tree as
    # it is then. Nothing read, written or made may land outside the root.
    root, outside = swap_tree
    fs = Sysfs(root)
    assert fs.resolve("L") == ("d/e", None)
    shutil.rmtree(os.path.join(root, "d"))
    os.symlink(outside, os.path.join(root, "d"))
    assert fs.read("d/e/secret")[1].errno == "EXDEV"
    assert fs.read("L/secret")[1].errno == "EXDEV"
    assert fs.write_once("d/e/secret", b"x", create=True)[1].errno == "EXDEV"
    assert fs.mkdir("d/e/new")[1].errno == "EXDEV"
    assert fs.resolve("L")[1].errno == "EXDEV"
    with open(os.path.join(outside, "e", "secret")) as handle:
        assert handle.read() == "outside\n"
    assert sorted(os.listdir(os.path.join(outside, "e"))) == ["secret"]


def test_a_link_pointed_elsewhere_after_a_resolution_is_read_again(swap_tree):
    root, outside = swap_tree
    fs = Sysfs(root)
    assert fs.resolve("L") == ("d/e", None)
    os.unlink(os.path.join(root, "L"))
    os.symlink(os.path.join(outside, "e"), os.path.join(root, "L"))
    assert fs.resolve("L")[1].errno == "EXDEV"
    assert fs.listdir("L")[1].errno == "EXDEV"
    os.unlink(os.path.join(root, "L"))
    os.makedirs(os.path.join(root, "f"))
    os.symlink("f", os.path.join(root, "L"))
    assert fs.resolve("L") == ("f", None)
    assert fs.link_name("L") == ("f", None)


def test_a_loop_never_resolves_to_a_link_out_of_the_root(tree, tmp_path_factory):
    # c leads to itself before it gets anywhere (c -> c/../a): the kernel gives ELOOP. The
    # resolution must not be realpath's answer for a loop, which before Python 3.13 is the rest
    # joined unresolved: the root's a, a link that leaves the root.
    outside = tmp_path_factory.mktemp("behind")
    (outside / "secret").write_text("outside\n")
    root = tree({"d/x": "1"})
    os.symlink(str(outside), os.path.join(root, "a"))
    os.symlink("c/../a", os.path.join(root, "c"))
    fs = Sysfs(root)
    assert fs.read("c/secret")[1].errno == "ELOOP"
    assert fs.listdir("c")[1].errno == "ELOOP"
    assert fs.write_once("c/new", b"x", create=True)[1].errno == "ELOOP"
    assert fs.mkdir("c/new")[1].errno == "ELOOP"
    assert fs.resolve("c/..")[1].errno == "ELOOP"
    with fs.opendir("c") as src:
        assert src.read("secret")[1].errno == "ELOOP"
    assert sorted(os.listdir(str(outside))) == ["secret"]
    assert fs.read("d/x") == ("1", None)


@pytest.fixture
def zombie():
    """A process that has exited and not been reaped: its /proc/PID/exe and cwd are links that
    lstat sees and readlink refuses (ENOENT), the kernel's own link that cannot be read."""
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % child.pid) as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.01)
    yield "/proc/%d" % child.pid
    child.wait()


def test_a_link_that_cannot_be_read_is_an_error_not_a_traceback(zombie, tree):
    # Where such a link leads is unknown, inside the root or out of it: the path cannot be
    # confined (EXDEV, readlink's errno in the message), whether the link is the root's own or
    # one that a link of the tree leads to (an ENOENT there would read as "no such attribute").
    exe = os.path.join(zombie, "exe")
    assert os.path.islink(exe)
    with pytest.raises(OSError) as raised:
        os.readlink(exe)
    assert raised.value.errno == errno.ENOENT
    fs = Sysfs(zombie)
    root = tree({"ty/name": "T4"})
    os.symlink(os.path.join(zombie, "cwd", "x"), os.path.join(root, "ty", "migration_version"))
    os.symlink(os.path.join(zombie, "cwd"), os.path.join(root, "gone"))
    tree_fs = Sysfs(root)
    for name, answer in (("resolve", fs.resolve("exe")), ("link_name", fs.link_name("exe")),
                         ("listdir", fs.listdir("exe")), ("listdir below", fs.listdir("cwd/sub")),
                         ("read", fs.read("exe")), ("read below", fs.read("cwd/x")),
                         ("write", fs.write_once("cwd/x", b"1", create=True)), ("mkdir", fs.mkdir("cwd/x")),
                         ("read through a link of the tree", tree_fs.read("ty/migration_version")),
                         ("listdir through a link of the tree", tree_fs.listdir("gone")),
                         ("opendir through a link of the tree", tree_fs.opendir("gone").read("x"))):
        assert answer[0] is None, name
        assert answer[1].errno == "EXDEV", name
        assert "cannot be read (ENOENT)" in answer[1].message, name
    # The positive controls: what is no link is read as ever.
    assert fs.read("comm") == ("true", None)
    assert tree_fs.read("ty/name") == ("T4", None)


def test_a_link_that_could_not_be_read_once_is_read_again(tree, monkeypatch):
    # A failed readlink is not remembered as the directory's resolution for the rest of the run.
    root = tree({"devices/p/x": "1"})
    os.symlink("devices/p", os.path.join(root, "p"))
    fs = Sysfs(root)
    real_readlink, failed = os.readlink, []

    def readlink_failing_once(path, *args, **kwargs):
        if not failed and path.endswith("/p"):
            failed.append(path)
            raise OSError(errno.EIO, "Input/output error", path)
        return real_readlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "readlink", readlink_failing_once)
    assert fs.read("p/x")[1].errno == "EXDEV"
    assert failed
    assert fs.read("p/x") == ("1", None)


def test_a_link_met_twice_in_one_target_is_no_loop(tree):
    # b/../../class/b/sub follows b twice, one after the other: a path the kernel resolves.
    root = tree({"devices/p/sub/x": "1"})
    os.makedirs(os.path.join(root, "class"))
    os.symlink("../devices/p", os.path.join(root, "class/b"))
    os.symlink("b/../../class/b/sub", os.path.join(root, "class/l"))
    assert Sysfs(root).resolve("class/l") == ("devices/p/sub", None)
    assert Sysfs(root).read("class/l/x") == ("1", None)
