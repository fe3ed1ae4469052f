"""Data sets and CSV reading (Qt-free)."""

from bp_studio.data.csv_table import DataError, Table, read_csv, write_csv_text

__all__ = ["DataError", "Table", "read_csv", "write_csv_text"]
