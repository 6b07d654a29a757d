"""CSV/JSON writers for analysis tables (rows are flat dicts with the same keys), atomic."""
import csv
import io
import os

from ats_ms.utils.files import write_json, write_text


def write_csv(rows, csv_path):
    """Write ``rows`` (flat dicts with the same keys) to CSV; creates the folder."""
    os.makedirs(os.path.dirname(os.path.abspath(csv_path)), exist_ok=True)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]) if rows else [])
    writer.writeheader()
    writer.writerows(rows)
    write_text(csv_path, text.getvalue())


def write_rows(rows, csv_path, json_path, extra=None):
    """Write ``rows`` to CSV and (with ``extra`` metadata) to JSON; creates the folder."""
    write_csv(rows, csv_path)
    write_json(json_path, {**(extra or {}), "rows": rows})
