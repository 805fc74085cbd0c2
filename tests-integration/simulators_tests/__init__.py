"""Tests of the provider wire simulators themselves (stdlib clients only)."""
