"""Settings section of the archival workflows (``KHO_ARCHIVAL__*``): the legal periods, each with its source."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class ArchivalSettings(BaseModel):
    """Periods of the archives law that kho's due dates and warnings use; change them when the law changes."""

    current_archive_years: int = Field(
        default=1, description="years after the year the work ended within which files go into the current archive"
    )
    current_archive_source: str = Field(
        default="Luật Lưu trữ 33/2024/QH15 Điều 17", description="source of the figure above"
    )
    historical_years: int = Field(
        default=5,
        description="rule 5y: years after entering the current archive within which permanent files go to the "
        "historical archive",
    )
    historical_years_extended: int = Field(
        default=30, description="rule 30y: the longer period another law allows for some fonds"
    )
    historical_years_2011: int = Field(
        default=10, description="rule 2011: years after the year the work ended (Luật Lưu trữ 01/2011/QH13)"
    )
    historical_source: str = Field(
        default="Luật Lưu trữ 33/2024/QH15 Điều 17", description="source of the figures above"
    )
    backlog_deadline_sources: date = Field(
        default=date(2030, 7, 1), description="deadline for source bodies to arrange and transfer their backlog"
    )
    backlog_deadline_communes: date = Field(
        default=date(2035, 7, 1),
        description="deadline for commune records and the historical archive's own backlog",
    )
    backlog_source: str = Field(
        default="Luật Lưu trữ 33/2024/QH15, điều khoản chuyển tiếp", description="source of the backlog deadlines"
    )
    merger_rule_source: str = Field(
        default="Thông tư 06/2025/TT-BNV Điều 39–40 (chưa xác nhận: trường hợp sáp nhập theo quyết định)",
        description="source of the reorganisation rules; the merger case follows the decision, the user chooses",
    )
    destruction_record_days: int = Field(
        default=15, description="days after the head's decision within which the destruction record is signed"
    )
    destruction_warn_days: int = Field(
        default=5, description="warn this many days before the destruction record's deadline"
    )
    destruction_source: str = Field(default="Thông tư 06/2025/TT-BNV", description="source of the destruction deadline")
    reminder_month: int = Field(
        default=1,
        ge=1,
        le=12,
        description="month in which the yearly due-transfer reminder goes to the heads of archives",
    )
