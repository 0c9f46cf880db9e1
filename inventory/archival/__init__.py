"""Archival duties of the heads of agencies: organisations and their fonds, transfers (giao nộp, nộp lưu),
reorganisation handovers (chia, tách, sáp nhập, hợp nhất, giải thể) and the documents they produce.

Built on the registry (``inventory.models``); see docs/archival.md.
"""
