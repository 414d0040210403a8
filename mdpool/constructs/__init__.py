"""Reusable constructs: each owns its Azure resources and exposes what others need.

Permissions are granted by methods on the construct that owns the resource (a gallery grants read
on itself), so a stack never reaches into another construct's internals.
"""
