"""The guards in front of live trading. Real orders need ALL of:

1. ``mode: live`` in the config,
2. ``--confirm-live`` on the command line (or ``POLYBOT_CONFIRM_LIVE=yes``),
3. real prices (``--source live``; live orders on simulated or replayed prices make no sense),
4. a data folder (the write-ahead order store is what makes client order ids idempotent),
5. credentials in the environment or ``.env`` (``POLYMARKET_PRIVATE_KEY``; optionally
   ``POLYMARKET_WALLET``, the address to trade for when it is not the key's own deposit wallet),
6. a passing geoblock check (``polymarket.geoblock_url``).

A missing guard stops the start with a message naming exactly that guard and how to satisfy it.
The private key is passed on to the SDK and nowhere else: never logged, stored or echoed.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config.loader import PROJECT_ROOT, Secrets, load_secrets
from bot.config.schema import ConfigError, Settings

CONFIRM_ENV = "POLYBOT_CONFIRM_LIVE"
WALLET_ENV = "POLYMARKET_WALLET"
_KEY_SHAPE = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_ADDRESS_SHAPE = re.compile(r"^0x[0-9a-fA-F]{40}$")


class LiveModeRefused(ConfigError):
    """Live trading was asked for but a guard is missing; the text names the guard."""


@dataclass(frozen=True, slots=True)
class Geoblock:
    ok: bool  # True only when the service answered and said "not blocked"
    text: str  # plain English, for people


def check_geoblock(url: str, timeout_s: float) -> Geoblock:
    """GET the geoblock service: ``{"blocked": bool, "country": "..", "region": ".."}``."""
    request = urllib.request.Request(url, headers={"User-Agent": "polybot", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (URL from config)
            body = json.loads(response.read(65536).decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return Geoblock(False, f"the geoblock check at {url} answered HTTP {exc.code}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Geoblock(False, f"the geoblock check at {url} could not be reached ({reason})")
    except ValueError:
        return Geoblock(False, f"the geoblock check at {url} did not answer JSON")
    if not isinstance(body, dict) or not isinstance(body.get("blocked"), bool):
        return Geoblock(False, f"the geoblock check at {url} gave an answer without a 'blocked' field")
    where = "/".join(str(body[k]) for k in ("country", "region") if body.get(k)) or "your location"
    if body["blocked"]:
        return Geoblock(False, f"Polymarket blocks order placement from {where}")
    return Geoblock(True, f"order placement is allowed from {where}")


def confirmed(flag: bool, env: dict[str, str] | os._Environ[str] | None = None) -> bool:
    env = os.environ if env is None else env
    return flag or env.get(CONFIRM_ENV, "").strip().lower() == "yes"


def wallet_address(env: dict[str, str] | os._Environ[str] | None = None, env_file: Path | None = None) -> str | None:
    env = os.environ if env is None else env
    value = env.get(WALLET_ENV)
    if not value:
        from dotenv import dotenv_values

        path = env_file or PROJECT_ROOT / ".env"
        value = dotenv_values(path).get(WALLET_ENV) if path.exists() else None
    return value.strip() if value else None


def check_live_guards(settings: Settings, *, confirm_live: bool, source: str, data_dir: Path | None,
                      secrets: Secrets | None = None, wallet: str | None = None,
                      env: dict[str, str] | None = None) -> tuple[str, str | None]:
    """Every guard, in order; returns (private key, wallet) or raises ``LiveModeRefused``."""
    if settings.mode != "live":
        if confirm_live:  # the flag, not a leftover environment variable, shows intent
            raise LiveModeRefused("live trading refused: --confirm-live was given but "
                                  "config says mode: paper. Set mode: live in config/config.yaml to trade for real, "
                                  "or drop the flag to paper-trade.")
        raise LiveModeRefused("live trading refused: config says mode: paper")
    if not confirmed(confirm_live, env):
        raise LiveModeRefused("live trading refused: config says mode: live, but the run was not confirmed. "
                              "Add --confirm-live to the command (or set POLYBOT_CONFIRM_LIVE=yes) to place real orders.")
    if source != "live":
        raise LiveModeRefused(f"live trading refused: prices come from '{source}', not from Polymarket. "
                              "Real orders need real prices: run with --source live (or runtime.source: live).")
    if data_dir is None:
        raise LiveModeRefused("live trading refused: it needs a data folder for its order journal "
                              "(that is what stops an order being sent twice after a restart).")
    secrets = secrets if secrets is not None else load_secrets()
    key = (secrets.polymarket_private_key or "").strip()
    if not key:
        raise LiveModeRefused("live trading refused: no credentials. Put POLYMARKET_PRIVATE_KEY in the environment "
                              "or in .env (never in config.yaml).")
    if not _KEY_SHAPE.match(key):
        raise LiveModeRefused("live trading refused: POLYMARKET_PRIVATE_KEY is set but is not a private key "
                              "(expected 64 hex digits, optionally starting with 0x). Its value is not shown.")
    wallet = wallet if wallet is not None else wallet_address(env)
    if wallet and not _ADDRESS_SHAPE.match(wallet):
        raise LiveModeRefused(f"live trading refused: {WALLET_ENV} is set but is not an address "
                              "(expected 0x and 40 hex digits).")
    geo = check_geoblock(settings.polymarket.geoblock_url, settings.polymarket.timeout_s)
    if not geo.ok:
        raise LiveModeRefused(f"live trading refused: geoblock check failed: {geo.text}. "
                              "Paper trading still works from here.")
    return key, wallet or None


def open_live_venue(key: str, wallet: str | None, factory: Callable[[str, str | None], object] | None = None) -> object:
    """Log in to Polymarket (the SDK derives API credentials from the key)."""
    if factory is None:
        from bot.adapters.executors.polymarket_venue import SdkVenue, VenueLoginError

        try:
            return SdkVenue.create(key, wallet)
        except VenueLoginError as exc:
            raise LiveModeRefused(f"live trading refused: {exc}") from None
    return factory(key, wallet)
