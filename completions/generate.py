"""Regenerate the shell completion scripts in this folder from the app itself.

    .venv/bin/python completions/generate.py          # rewrite rnncli.bash, _rnncli, rnncli.fish
    .venv/bin/python completions/generate.py --check  # exit 1 if any of them is out of date

Each script is what `rnncli` prints when run with `_RNNCLI_COMPLETE=source_<shell>`
(Typer's completion machinery; `rnncli --show-completion` prints the same for the
shell it runs in).
The scripts only call `rnncli` back with `_RNNCLI_COMPLETE=complete_<shell>`, so the
command names and options they offer always come from the installed app.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = {"bash": "rnncli.bash", "zsh": "_rnncli", "fish": "rnncli.fish"}


def script(shell: str) -> str:
    """The completion script for `shell`, as the app prints it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("_RNNCLI_")}
    env["_RNNCLI_COMPLETE"] = f"source_{shell}"
    done = subprocess.run(
        [sys.executable, "-m", "rnncli"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"rnncli printed no {shell} completion script:\n{done.stderr}")
    # Typer starts the bash and zsh scripts with a blank line; drop it so that `#compdef`
    # is the first line of _rnncli, as zsh needs for a completion file in $fpath.
    return done.stdout.lstrip("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale scripts")
    args = parser.parse_args()
    stale = []
    for shell, name in FILES.items():
        path = HERE / name
        text = script(shell)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(name)
        else:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run: python completions/generate.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
