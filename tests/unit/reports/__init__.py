"""Tests of the reports' pure parts."""
