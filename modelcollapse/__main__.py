"""``python -m modelcollapse`` and the ``modelcollapse`` command: :func:`run`."""

import sys


def run() -> int:
    """The command line, with a Ctrl-C during the first imports (before :func:`main
    <modelcollapse.cli.main>` takes over the interrupts) ending as in a command: exit status
    130 and one line, no traceback."""
    try:
        from modelcollapse.cli import main
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return main()


if __name__ == "__main__":
    sys.exit(run())
