"""CSV/JSON writers for analysis tables (rows are flat dicts with the same keys)."""
import csv
import json
import os


def write_rows(rows, csv_path, json_path, extra=None):
    """Write ``rows`` to CSV and (with ``extra`` metadata) to JSON; creates the folder."""
    os.makedirs(os.path.dirname(os.path.abspath(csv_path)), exist_ok=True)
    keys = list(rows[0]) if rows else []
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump({**(extra or {}), "rows": rows}, f, indent=1)
