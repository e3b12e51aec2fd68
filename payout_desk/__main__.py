"""`python -m payout_desk` runs the desktop app."""

import sys

from payout_desk.app import main

if __name__ == "__main__":
    sys.exit(main())
