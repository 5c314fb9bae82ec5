"""Tests of the configuration and the sending pipeline."""
