"""Automated collectors that read a system's configuration and turn it into evidence."""
