"""Build Kalrav's C extensions in place, all or only those named.

    .venv/bin/python scripts/build_native.py                 # all
    .venv/bin/python scripts/build_native.py _scan _langid   # by the module's last name

`pip install -e .` (make install) builds them too; this is for working on one of them.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

from setuptools import Distribution
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parents[1]


def main(names: list[str]) -> None:
    # setup.py calls setup() only when run as __main__: read under another name, it only
    # defines the extensions.
    extensions = runpy.run_path(str(ROOT / "setup.py"), run_name="kalrav_native")["EXTENSIONS"]
    if names:
        extensions = [e for e in extensions if e.name.rsplit(".", 1)[-1] in names]
    for extension in extensions:
        extension.optional = False  # here a failure should stop and show the compiler's error
    command = build_ext(Distribution({"ext_modules": extensions}))
    command.inplace = True
    command.ensure_finalized()
    command.run()
    print("built:", ", ".join(e.name for e in extensions))


if __name__ == "__main__":
    os.chdir(ROOT)
    main(sys.argv[1:])
