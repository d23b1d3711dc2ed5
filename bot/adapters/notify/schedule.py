"""When the periodic messages are due: the hourly status at the top of each hour, the daily
summary at ``daily_summary_utc``, the weekly report on ``weekly_report_day`` at the same time.

Pure: the notifier passes the wall-clock time in. Nothing fires for a time that passed before the
bot started (a restart at 21:30 does not send the 21:00 summary late).
"""

from __future__ import annotations

import datetime as dt

from bot.config.schema import Notifications

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOURLY, DAILY, WEEKLY = "hourly", "daily", "weekly"


def _next_hour(now: dt.datetime) -> dt.datetime:
    return now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


def _next_daily(now: dt.datetime, at: str) -> dt.datetime:
    hour, minute = (int(part) for part in at.split(":"))
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + dt.timedelta(days=1)


def _next_weekly(now: dt.datetime, at: str, day: str) -> dt.datetime:
    candidate = _next_daily(now, at)
    while candidate.weekday() != DAYS.index(day):
        candidate += dt.timedelta(days=1)
    return candidate


class Schedule:
    def __init__(self, settings: Notifications, now: dt.datetime) -> None:
        self.settings = settings
        self._next = {HOURLY: _next_hour(now), DAILY: _next_daily(now, settings.daily_summary_utc),
                      WEEKLY: _next_weekly(now, settings.daily_summary_utc, settings.weekly_report_day)}

    def reconfigure(self, settings: Notifications, now: dt.datetime) -> None:
        if (settings.daily_summary_utc, settings.weekly_report_day) != (self.settings.daily_summary_utc,
                                                                         self.settings.weekly_report_day):
            self._next[DAILY] = _next_daily(now, settings.daily_summary_utc)
            self._next[WEEKLY] = _next_weekly(now, settings.daily_summary_utc, settings.weekly_report_day)
        self.settings = settings

    def next_at(self, name: str) -> dt.datetime:
        return self._next[name]

    def due(self, now: dt.datetime) -> list[str]:
        """The reports due at ``now`` (each at most once, however long the caller slept)."""
        enabled = {HOURLY: self.settings.hourly_status, DAILY: self.settings.daily_summary,
                   WEEKLY: self.settings.weekly_report}
        fired = []
        for name, at in self._next.items():
            if now >= at:
                if enabled[name]:
                    fired.append(name)
                if name == HOURLY:
                    self._next[name] = _next_hour(now)
                elif name == DAILY:
                    self._next[name] = _next_daily(now, self.settings.daily_summary_utc)
                else:
                    self._next[name] = _next_weekly(now, self.settings.daily_summary_utc, self.settings.weekly_report_day)
        return fired
