"""``python -m chattui``."""

import sys

from chattui.cli import main

sys.exit(main())
