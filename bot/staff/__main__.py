"""``python -m bot.staff``: the staff account command (``bot.staff.accounts``)."""

import sys

from bot.staff.accounts import main

sys.exit(main())
