#!/usr/bin/env python3
"""Print a JSON profile of each column of a CSV file (standard library only)."""

import csv
import json
import statistics
import sys
from collections import Counter


def profile(path: str) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    columns = rows[0].keys() if rows else []
    out = []
    for col in columns:
        values = [r[col] for r in rows if r[col] not in ("", None)]
        numbers = []
        for v in values:
            try:
                numbers.append(float(v))
            except ValueError:
                pass
        entry = {"column": col, "rows": len(rows), "missing": len(rows) - len(values)}
        if values and len(numbers) == len(values):
            entry.update(
                type="number", min=min(numbers), max=max(numbers), mean=statistics.fmean(numbers)
            )
        else:
            entry.update(type="text", top=Counter(values).most_common(3))
        out.append(entry)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: profile_csv.py FILE.csv")
    for item in profile(sys.argv[1]):
        print(json.dumps(item))
