"""Abandoned-checkout reminders: a checkout → scheduled runs → texts, re-checked at send time."""
