"""site.data: the files under _data/ read as Jekyll's DataReader reads them."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import regex
import yaml

DATA_EXTENSIONS = (".yml", ".yaml", ".json", ".csv", ".tsv")
MAX_DEPTH = 10


def _sanitize_data_name(name: str) -> str:
    """Jekyll's DataReader#sanitize_filename."""
    name = regex.sub(r"[^\w\s-]+|(?<=^|\b\s)\s+(?=$|\s?\b)", "", name)
    return re.sub(r"\s+", "_", name)


def _read_file(entry: Path, ext: str) -> Any:
    """One data file's value; CSV/TSV as CSV.read(headers: true).map(&:to_hash), one hash per row."""
    raw = entry.read_text(encoding="utf-8-sig")
    if ext in (".csv", ".tsv"):
        return [dict(row) for row in csv.DictReader(raw.splitlines(), delimiter="\t" if ext == ".tsv" else ",")]
    if ext == ".json":
        return json.loads(raw)
    return yaml.safe_load(raw)


def _read_dir(folder: Path, depth: int) -> dict[str, Any]:
    """A data folder as a hash: files by sanitized stem, subfolders nested; unreadable files skipped."""
    data: dict[str, Any] = {}
    if depth > MAX_DEPTH or not folder.is_dir():
        return data
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue  # Jekyll's EntryFilter skips dotfiles and symlinks
        if entry.is_dir():
            data[_sanitize_data_name(entry.name)] = _read_dir(entry, depth + 1)
            continue
        ext = entry.suffix.lower()
        if ext not in DATA_EXTENSIONS:
            continue
        try:
            value = _read_file(entry, ext)
        except (OSError, ValueError, yaml.YAMLError):
            continue
        data[_sanitize_data_name(entry.stem)] = value
    return data


def load_data(root: Path) -> dict[str, Any]:
    """site.data from _data/ (YAML, JSON, CSV, TSV; nested folders), as Jekyll reads it."""
    base = (root / "_data").resolve()
    return _read_dir(base, 0) if base.is_relative_to(root.resolve()) else {}
