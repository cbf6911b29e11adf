"""The customers' web pages (DESIGN §8): the complaint form, the status lookup, and the status, "is it fixed?"
and survey pages reached by signed links in mail. The portal reads what the last cycle published and queues what
customers send, both in the state store (``sync.customers``); it never opens the workbook. See docs/portal.md.
"""

from sync.portal.app import create_app
from sync.portal.complaint_form import ComplaintForm, read_complaint_form
from sync.portal.context import PortalConfig, Submit
from sync.portal.server import PortalServer, parse_listen
from sync.portal.tokens import ANSWER_LINK_AGE, STATUS_LINK_AGE, LinkToken, Tokens

__all__ = [
    "create_app",
    "PortalConfig",
    "Submit",
    "ComplaintForm",
    "read_complaint_form",
    "PortalServer",
    "parse_listen",
    "Tokens",
    "LinkToken",
    "STATUS_LINK_AGE",
    "ANSWER_LINK_AGE",
]
