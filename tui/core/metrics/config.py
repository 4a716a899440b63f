"""The configuration of §B.2: defaults plus the overrides of a config file."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RepeatRule = Literal["link", "follow_up", "merge", "same_customer_same_issue_key", "same_customer_any_issue"]


class SlaTarget(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    first_reply_s: int | None = Field(default=None, ge=0)
    resolution_s: int | None = Field(default=None, ge=0)


class MetricsConfig(BaseModel):
    """§B.2. Unknown keys are ignored; a file holds only overrides."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    reopen_window_s: int = Field(default=604_800, ge=0)
    reopen_window_by_channel_s: dict[str, int] = Field(default_factory=dict)
    idle_cutoff_s: int = Field(default=120, ge=0)
    glance_threshold_s: int = Field(default=10, ge=0)
    sync_fcr_grace_s: int = Field(default=900, ge=0)
    sync_channels: list[str] = Field(default_factory=lambda: ["phone", "chat"])
    async_max_public_replies: int = Field(default=1, ge=0)
    async_fcr_max_s: int | None = Field(default=None, ge=0)
    fail_on_wait_status: bool = True
    excluded_resolution_codes: list[str] = Field(
        default_factory=lambda: ["spam", "duplicate", "test", "no_action_needed"]
    )
    repeat_match: list[RepeatRule] = Field(
        default_factory=lambda: ["link", "follow_up", "merge", "same_customer_same_issue_key"]
    )
    undo_grace_s: int = Field(default=120, ge=0)
    resume_window_s: int = Field(default=600, ge=0)
    heartbeat_s: int = Field(default=30, ge=0)
    clock_jump_tolerance_s: int = Field(default=2, ge=0)
    csat_scale_max: int = Field(default=5, ge=1)
    csat_satisfied_min: int = Field(default=4, ge=1)
    csat_min_n: int = Field(default=5, ge=0)
    rolling_window_s: int = Field(default=2_592_000, ge=0)
    sla_targets: dict[str, SlaTarget] = Field(default_factory=dict)
    sla_at_risk_fraction: float = Field(default=0.8, ge=0)

    def reopen_window_ms(self, channel: str | None) -> int:
        """W of a ticket's channel, in milliseconds."""
        seconds = self.reopen_window_by_channel_s.get(channel or "", self.reopen_window_s)
        return seconds * 1000

    def is_sync(self, channel: str | None) -> bool:
        return channel in self.sync_channels

    def as_output(self) -> dict:
        return self.model_dump(mode="json")
