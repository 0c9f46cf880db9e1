"""Box lists (mục lục hồ sơ) in and out: XLSX/CSV parsing, column mapping, row validation, import, export, stats."""
