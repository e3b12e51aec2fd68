"""``python -m payout_desk.sandbox``: the same as ``payout-desk-sandbox``."""

import sys

from payout_desk.sandbox.cli import main

sys.exit(main())
