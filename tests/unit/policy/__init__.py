"""Tests of the policy engine (pure)."""
