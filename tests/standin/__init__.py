"""Loopback stand-ins for the outside world: a Saleor and SMS providers, real HTTP."""
