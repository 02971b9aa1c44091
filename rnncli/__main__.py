"""`python -m rnncli` and the `rnncli` console script.

The command modules (typer, rich, pandas) load inside `run`, so that Ctrl-C while they load
ends quietly with 130, as it does once a command runs (`cli.common.handle_errors`).
"""

import sys


def run() -> None:
    try:
        from rnncli.cli import main
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        raise SystemExit(130) from None
    main()


if __name__ == "__main__":
    run()
