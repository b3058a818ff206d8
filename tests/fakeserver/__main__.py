"""Entry point of `python -m tests.fakeserver` (see `tests.fakeserver.cli`)."""

import sys

from tests.fakeserver.cli import main

if __name__ == "__main__":
    sys.exit(main())
