"""``python -m modelcollapse``: the same as the ``modelcollapse`` command."""

import sys

from modelcollapse.cli import main

sys.exit(main())
