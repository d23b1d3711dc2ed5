"""Operations around the trading loop: health endpoint, backup and restore, housekeeping.

Nothing here decides a trade. These modules plug into ``bot.runtime.loop.Loop`` through its hook
lists (see ``bot.ops.service``), and the CLI's ``backup``/``restore`` commands call them directly.
"""
