"""Test helpers shared across areas (loopback stand-ins for the services mdpool talks to)."""
