"""Fail when tracked code or tests name a path outside the repository (part of ``make lint``).

A user clones this repository alone: reference data the tests read (the Saleor schema, captured
requests) must live inside it. This looks for the ways code has reached out before: the sibling
``shared`` folder, a ``SHARED_DIR`` override, absolute workplace paths and parents of the repository
root. The test session adds the runtime half (``tests/conftest.py`` refuses to open such files).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r"\.(py|ts|tsx|js|sh|html|cfg|ini|toml)$|(^|/)(Makefile|Procfile|run)$")
OUTSIDE = re.compile(
    r"\.\./shared|SHARED_DIR|ROOT\.parent\s*/|parent\.parent\.parent\.parent|[\"']/work/"
)


def main() -> int:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    found = []
    for name in files:
        if not CODE.search(name) or name == "scripts/check_self_contained.py":
            continue
        path = ROOT / name
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line) and "self-contained: the guard itself" not in line:
                found.append(f"{name}:{number}: {line.strip()}")
    for line in found:
        print(f"reads outside the repository: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
