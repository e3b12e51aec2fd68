"""Integration tests of the provider sandbox over real HTTP, one per SPEC rule."""
