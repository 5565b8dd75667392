"""What the packages above the SoA (the REST API) may ask of it."""

from soa.api_records import SoaVersionRecord, soa_version, soa_versions, soa_workbook
from soa.check import Readiness, check_soa
from soa.rows import SoaRow, soa_rows

__all__ = ["Readiness", "SoaRow", "SoaVersionRecord", "check_soa", "soa_rows", "soa_version",
           "soa_versions", "soa_workbook"]
