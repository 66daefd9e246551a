"""Limits that the channels enforce and the widget announces before sending."""

from bot.i18n import N_

# Longer messages are refused with a clear answer; the widget stops them earlier.
MAX_MESSAGE_CHARS = 2000
TOO_LONG = N_("Your message is too long: please keep it under {limit} characters.")
