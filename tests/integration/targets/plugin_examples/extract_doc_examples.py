#!/usr/bin/env python
"""Collect the playbooks and commands of the user guides, the README and the role READMEs.

Writes ``<out>/doc-examples.yml`` (every YAML block that is a playbook, as one playbook) and
``<out>/doc-commands.txt`` (every ``ansible`` / ``ansible-playbook`` command of a console or sh
block, one per line, continuation lines joined), so that runme.sh runs them as written against
the simulated fleet. A block that is neither (an ini file, a requirements.yml) is skipped.
"""
import glob
import os
import re
import sys

import yaml

RST_BLOCK = re.compile(r"^\.\. code-block:: *(\S+)\n((?:\n|    .*\n)+)", re.M)
MD_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def rst_blocks(text):
    for match in RST_BLOCK.finditer(text):
        body = "\n".join(line[4:] for line in match.group(2).splitlines())
        yield match.group(1), body


def md_blocks(text):
    for match in MD_BLOCK.finditer(text):
        yield match.group(1), match.group(2)


def commands(body):
    joined = re.sub(r"\\\n\s*", " ", body)
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("$ "):
            line = line[2:]
        if re.match(r"ansible(-playbook)? ", line):
            yield line


def main():
    root, out = sys.argv[1], sys.argv[2]
    sources = sorted(glob.glob(os.path.join(root, "docs", "docsite", "rst", "*.rst")))
    sources += [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "roles", "*", "README.md")))
    plays, cmds = [], []
    for path in sources:
        text = open(path).read()
        blocks = rst_blocks(text) if path.endswith(".rst") else md_blocks(text)
        for lang, body in blocks:
            where = os.path.relpath(path, root)
            if lang in ("yaml", "yaml+jinja"):
                data = yaml.safe_load(body)
                if isinstance(data, list) and data and all(isinstance(p, dict) and "hosts" in p for p in data):
                    for play in data:
                        play["name"] = "%s: %s" % (where, play.get("name", "play"))
                        plays.append(play)
            elif lang in ("console", "sh", "shell", "bash"):
                cmds.extend(commands(body))
    with open(os.path.join(out, "doc-examples.yml"), "w") as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)
    with open(os.path.join(out, "doc-commands.txt"), "w") as handle:
        handle.write("".join(c + "\n" for c in cmds))
    print("%d plays and %d commands from %d documents" % (len(plays), len(cmds), len(sources)))
    if not plays or not cmds:
        raise SystemExit("no example found: the extraction is broken")


if __name__ == "__main__":
    main()
