"""Texts customers send to the shop: STOP, START, HELP and plain replies."""
