"""Tests of the core (provider and services) — owned by the core team."""
