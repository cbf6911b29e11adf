"""Customers in: every channel's complaints go through one intake function into the state store's queue.

``take_in(state, Complaint(...)) -> Receipt`` reserves the Ticket ID and queues the complaint; the next cycle
appends it to the Tickets tab. The package's public names are ``sync.intake.complaint``'s. See docs/intake.md.
"""

from sync.intake import complaint
from sync.intake.complaint import *  # noqa: F403 (the package's surface is the intake function's module)

__all__ = list(complaint.__all__)
