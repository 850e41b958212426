"""Regenerate monev/data/holidays_id.json from the `holidays` package.

The table saves ~0.5 s of Islamic-calendar computation per process (the
`monev plan show` budget is 1 s); tests/test_workdays.py checks it still matches."""

import json
from pathlib import Path

import holidays

YEARS = range(2020, 2036)
OUT = Path(__file__).resolve().parent.parent / "monev" / "data" / "holidays_id.json"


def build() -> dict[str, list[str]]:
    return {
        str(y): sorted(d.isoformat() for d in holidays.country_holidays(
            "ID", years=y, categories=("public", "government")))
        for y in YEARS
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps({"holidays_version": holidays.__version__, "years": build()},
                              indent=0) + "\n")
    print(f"written {OUT}")
