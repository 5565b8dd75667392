"""Derive isms/catalog/data/*.csv from the verified reference data in ../shared/catalog.

Only identifiers, titles, the mapping and default responsibilities are kept: no ISO text and
no prose from the reference files. Run from the repository root:
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


if __name__ == "__main__":
    main()
