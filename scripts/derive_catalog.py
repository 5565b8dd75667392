"""Derive isms/catalog/data/*.csv from the verified reference data in ../shared/catalog.

Only identifiers, titles, the mapping and default responsibilities are kept: no ISO text and
no prose from the reference files. Frameworks mapped to ISO/IEC 27001 (NIS2 first) each have a
derivation below that writes three things: a row of frameworks.csv, the framework's
requirement tree (framework-<code>.csv) and its mapping (framework-<code>-mapping.csv).
Run from the repository root:
    python scripts/derive_catalog.py [--source ../shared/catalog]
"""

import argparse
import csv
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "isms" / "catalog" / "data"


def read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(name: str, header: list[str], rows: list[list]) -> None:
    with (OUT / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows")
# Who operates each ISO/IEC 27017 cloud-customer control for a company on AWS (our judgement).
CLOUD_DEFAULTS = {"CLD.6.3.1": "shared", "CLD.8.1.5": "shared", "CLD.9.5.1": "aws",
                  "CLD.9.5.2": "company", "CLD.12.1.5": "company", "CLD.12.4.5": "company",
                  "CLD.13.1.4": "aws"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", default="../shared/catalog")
    source = Path(parser.parse_args().source)
    OUT.mkdir(parents=True, exist_ok=True)

    defaults = {r["id_2013"]: r for r in read(source / "responsibility-aws.csv")}
    rows_2013 = []
    for r in read(source / "iso27001-2013.csv"):
        default = defaults[r["id"]]
        rows_2013.append([
            r["id"], r["clause_id"], r["clause_title"], r["objective_id"], r["objective_title"],
            r["title"], default["default_responsibility"].lower(), default["aws_evidence"],
        ])
    write("annex-a-2013.csv", ["id", "clause_id", "clause_title", "objective_id",
          "objective_title", "title", "default_responsibility", "aws_evidence"], rows_2013)

    rows_2022 = [[r["id"], r["theme"], r["title"]] for r in read(source / "iso27001-2022.csv")]
    write("annex-a-2022.csv", ["id", "theme", "title"], rows_2022)

    mapping = [[r["id_2013"], r["id_2022"]] for r in read(source / "mapping-2013-2022.csv")]
    write("mapping-2013-2022.csv", ["id_2013", "id_2022"], mapping)

    aliases = [[r["id"], r["version"], r["alias"]] for r in read(source / "title-aliases.csv")]
    write("title-aliases.csv", ["id", "edition", "alias"], aliases)

    clauses = [[r["edition"], r["id"], r["parent_id"], r["title"]]
               for r in read(source / "iso27001-clauses.csv")]
    write("clauses.csv", ["edition", "id", "parent_id", "title"], clauses)

    cloud = [[r["id"], r["title"], CLOUD_DEFAULTS[r["id"]]]
             for r in read(source / "iso27017-cloud-controls.csv")]
    write("iso27017-cloud-controls.csv", ["id", "title", "default_responsibility"], cloud)

    frameworks = [derive(source) for derive in FRAMEWORKS]
    write("frameworks.csv", FRAMEWORK_HEADER, frameworks)


FRAMEWORK_HEADER = ["code", "short_name", "name", "iso_edition", "attribution", "source_notice",
                    "advisory"]
NIS2_ATTRIBUTION = (
    'Contains the ISO/IEC 27001:2022 mapping from ENISA, "Technical Implementation Guidance on '
    'Commission Implementing Regulation (EU) 2024/2690 \u2013 Mapping table", version 1.0 '
    '(June 2025), \u00a9 European Union Agency for Cybersecurity (ENISA), 2025, '
    'https://www.enisa.europa.eu/publications/nis2-technical-implementation-guidance, licensed '
    'under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); changed: ISO identifiers '
    'normalised, three references to the 2013 clause "A.9" dropped, and each subsection\'s '
    'references applied to its individual requirements.'
)
NIS2_SOURCE = ("Source: Commission Implementing Regulation (EU) 2024/2690, \u00a9 European Union, "
               "https://eur-lex.europa.eu")
NIS2_ADVISORY = ("ENISA's mapping is advisory and not legally binding; it does not measure "
                 "equivalence or full coverage between the two frameworks.")
# Paragraphs the regulation leaves unnumbered carry a ':' id; people read them as these.
NIS2_LABELS = {"4.3.2:1": "4.3.2 (second subparagraph)", "5.2:1": "5.2", "12.5:1": "12.5"}


def derive_nis2(source: Path) -> list[str]:
    """The Annex of Implementing Regulation (EU) 2024/2690 and ENISA's mapping to 27001:2022."""
    folder = source / "nis2"
    nodes = [[r["id"], r["parent_id"], r["level"], NIS2_LABELS.get(r["id"], r["id"]),
              r["title"]] for r in read(folder / "nis2-ir2024-2690.csv")]
    write("framework-nis2.csv", ["id", "parent_id", "level", "label", "title"], nodes)
    pairs = [[r["nis2_id"], r["iso_id"], r["relationship"]]
             for r in read(folder / "mapping-nis2-iso27001-2022.csv")]
    write("framework-nis2-mapping.csv", ["requirement_id", "iso_id", "relationship"], pairs)
    return ["nis2", "NIS2", "NIS2 Implementing Regulation (EU) 2024/2690, Annex", "2022",
            NIS2_ATTRIBUTION, NIS2_SOURCE, NIS2_ADVISORY]


# One derivation per framework; a second framework is one more function here plus its data.
FRAMEWORKS = (derive_nis2,)


if __name__ == "__main__":
    main()
