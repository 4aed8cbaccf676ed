"""Fakes of the far side of network boundaries (never of our own code)."""
