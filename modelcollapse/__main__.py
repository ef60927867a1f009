"""``python -m modelcollapse``: the same as the ``modelcollapse`` command."""

import sys

try:
    from modelcollapse.cli import main
except KeyboardInterrupt:  # Ctrl-C while the package imports: the same exit as in a command
    print("interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
