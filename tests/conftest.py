"""Settings every test shares: a Hypothesis example has no time limit. On a shared machine a pause is not a
failure; speed is measured by bench/, never by a test."""

from hypothesis import settings

settings.register_profile("sheetdesk", deadline=None)
settings.load_profile("sheetdesk")
