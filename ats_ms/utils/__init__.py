"""Shared helpers: errors, configuration, output strings, names, device set-up."""
