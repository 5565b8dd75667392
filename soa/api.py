"""What the packages above the SoA (the REST API) may ask of it."""

from soa.rows import SoaRow, soa_rows

__all__ = ["SoaRow", "soa_rows"]
