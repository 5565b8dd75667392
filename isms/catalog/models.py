"""Tables for the Annex A catalogs of both editions and their correspondence."""

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from isms.db import db


class CatalogControl(db.Model):
    __tablename__ = "catalog_controls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    control_id: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    # 2013: the clause (A.5 ...); 2022: the theme, keyed by its number (A.5 = Organizational).
    group_id: Mapped[str] = mapped_column(String(16), nullable=False)
    group_title: Mapped[str] = mapped_column(String(255), nullable=False)
    objective_id: Mapped[str | None] = mapped_column(String(16))
    objective_title: Mapped[str | None] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    default_responsibility: Mapped[str] = mapped_column(String(16), nullable=False)
    aws_evidence: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Empty for Annex A; a control from another source (6.1.3 b) names it here.
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="",
                                        server_default="")

    __table_args__ = (UniqueConstraint("edition", "control_id"),)


class CatalogMapping(db.Model):
    """One row of ISO/IEC 27002:2022 Annex B; id_2013 is empty for controls new in 2022."""

    __tablename__ = "catalog_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_2013: Mapped[str | None] = mapped_column(String(16))
    id_2022: Mapped[str] = mapped_column(String(16), nullable=False)

    __table_args__ = (UniqueConstraint("id_2013", "id_2022"),)


class CatalogAlias(db.Model):
    """Another spelling of a clause, objective or control title seen in real SoAs."""

    __tablename__ = "catalog_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    ref_id: Mapped[str] = mapped_column(String(16), nullable=False)
    alias: Mapped[str] = mapped_column(String(255), nullable=False)

    __table_args__ = (UniqueConstraint("edition", "ref_id", "alias"),)
