"""Tables for the Annex A catalogs of both editions, their correspondence, and the frameworks
mapped to them."""

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Integer, String, Text, UniqueConstraint
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


class CatalogFramework(db.Model):
    """Another framework whose requirements are mapped to ISO/IEC 27001 (NIS2 first)."""

    __tablename__ = "catalog_frameworks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    short_name: Mapped[str] = mapped_column(String(31), nullable=False)  # also a sheet name
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    # The edition of ISO/IEC 27001 the mapping names; others are reached through Annex B.
    iso_edition: Mapped[str] = mapped_column(String(4), nullable=False)
    attribution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source_notice: Mapped[str] = mapped_column(Text, nullable=False, default="")
    advisory: Mapped[str] = mapped_column(Text, nullable=False, default="")
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class CatalogRequirement(db.Model):
    """One node of a framework's requirement tree (a section down to a point): ids and headings."""

    __tablename__ = "catalog_requirements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework: Mapped[str] = mapped_column(ForeignKey("catalog_frameworks.code"), nullable=False)
    requirement_id: Mapped[str] = mapped_column(String(32), nullable=False)
    parent_id: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    position: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (UniqueConstraint("framework", "requirement_id"),)


class CatalogRequirementMapping(db.Model):
    """A pair of the framework's mapping: a requirement and an Annex A control or a clause."""

    __tablename__ = "catalog_requirement_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework: Mapped[str] = mapped_column(String(32), nullable=False)
    requirement_id: Mapped[str] = mapped_column(String(32), nullable=False)
    iso_id: Mapped[str] = mapped_column(String(16), nullable=False)
    relationship: Mapped[str] = mapped_column(String(16), nullable=False)

    __table_args__ = (
        # Named here: the conventional names pass PostgreSQL's 63-character limit.
        UniqueConstraint("framework", "requirement_id", "iso_id",
                         name="uq_catalog_requirement_mappings_pair"),
        ForeignKeyConstraint(["framework", "requirement_id"],
                             ["catalog_requirements.framework",
                              "catalog_requirements.requirement_id"],
                             name="fk_catalog_requirement_mappings_requirement"),
    )
