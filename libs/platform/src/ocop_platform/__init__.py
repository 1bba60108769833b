"""Plumbing shared by the four OCOP services: one library, not four copies."""
