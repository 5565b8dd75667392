"""Read-only AWS collectors: one function per check, registered in `registry.CHECKS`."""
