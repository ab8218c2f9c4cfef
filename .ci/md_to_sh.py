"""Turns a Markdown page into the bash script it describes, for CI to run the page as written.

usage: md_to_sh.py PAGE.md > page.sh

Fenced blocks, in order: a bash/sh block becomes its commands; a block marked
<!-- docs-test: file PATH --> on a line before it (markers sit on consecutive lines) becomes a command writing its text to PATH (relative
to the directory the script is in at that point, so a tutorial's `cd` decides where); every other block
(output shown to the reader) is left out. DocsTest (cli module) reads the same markers.
"""
import re
import shlex
import sys

FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
MARKER = re.compile(r"^\s*<!-- docs-test: (.*) -->\s*$")


def blocks(lines):
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang, start = m.group(1), m.group(2), i
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        markers = []
        k = start - 1
        while k >= 0 and MARKER.match(lines[k]):
            markers.insert(0, MARKER.match(lines[k]).group(1).strip())
            k -= 1
        yield start + 1, lang, "".join(body), markers
        i += 1


def main():
    page = sys.argv[1]
    with open(page, encoding="utf-8") as f:
        lines = f.readlines()
    out = ["# generated from %s by .ci/md_to_sh.py" % page, "set -euo pipefail"]
    for line, lang, body, markers in blocks(lines):
        files = [m for m in markers if m.startswith("file ")]
        if files:
            path = files[0].split()[1]
            out.append("# %s:%d -> %s" % (page, line, path))
            out.append("mkdir -p \"$(dirname %s)\"" % shlex.quote(path))
            out.append("cat > %s <<'MD_TO_SH_EOF'\n%sMD_TO_SH_EOF" % (shlex.quote(path), body))
        elif lang in ("bash", "sh"):
            out.append("# %s:%d" % (page, line))
            out.append("echo '+ %s:%d'" % (page, line))
            out.append(body.rstrip("\n"))
    print("\n".join(out))


if __name__ == "__main__":
    main()
