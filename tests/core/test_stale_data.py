"""A token whose prices are older than feed.stale_after_s is never bought on (entries only)."""

from __future__ import annotations

from bot.config.schema import Feed, Settings
from bot.core.engine import stale_reason
from bot.core.tracker import TokenState
from bot.domain.book import Book
from bot.domain.signals import Decision
from tests.builders import flat, list_market, make_runner, market, yes_no_books


def test_stale_reason_names_the_old_token() -> None:
    m = market()
    yes, no = m.tokens
    tokens = {t.token_id: TokenState(t.token_id) for t in m.tokens}
    assert stale_reason(m, tokens, 100_000, 20) is None  # no books at all: nothing to call stale
    for state in tokens.values():
        state.book, state.ts_ms = Book(state.token_id, 90_000, ((0.4, 10.0),), ((0.6, 10.0),)), 90_000
    assert stale_reason(m, tokens, 110_000, 20) is None
    tokens[no.token_id].ts_ms = 80_000
    assert stale_reason(m, tokens, 110_000, 20) == "the No price is 30 s old, over the 20 s freshness limit."


def test_a_spike_is_not_traded_when_the_other_book_stopped_updating() -> None:
    runner = make_runner(Settings(feed=Feed(stale_after_s=10)))
    m = market()
    list_market(runner, m)
    ts = flat(runner, m, 30)
    for _ in range(15):  # only YES keeps arriving; the NO book the fade would buy goes stale
        ts += 1000
        runner.run_cycle(ts, yes_no_books(m, 0.49, 0.51, ts)[:1])
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.57, 0.59, ts)[:1])
    signal = runner.engine.recent_signals[0]
    assert signal.decision is Decision.REFUSED and "No price is 16 s old" in signal.reason
    assert not runner.engine.portfolio.positions
