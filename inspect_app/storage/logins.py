"""Login failures, throttled per key (DESIGN §5): the window arithmetic shared by both
stores, and the limits of what is remembered."""
from __future__ import annotations

#: Keep login failures this long at least, whatever window a caller asks for (older ones
#: are dropped from a shard whenever it is written).
LOGIN_KEEP_SECONDS = 3600


#: At most this many remembered failures per key (enough to stay over any threshold).
LOGIN_MAX_PER_KEY = 1000


#: Login failures are spread over this many files, so a failure rewrites a small one.
LOGIN_SHARDS = 64


#: At most this many keys per shard file (so at most LOGIN_SHARDS × this in all): beyond
#: it, the keys with the fewest failures in the window (then the oldest) are forgotten.
LOGIN_MAX_KEYS_PER_SHARD = 256


LOGINS_DIR = "logins"


def bounded_failures(docs: dict[str, list[float]], key: str, at: float, window_seconds: float,
                     max_keys: int) -> dict[str, list[float]]:
    """Login failure times by key after one more failure of ``key`` at ``at``: failures
    older than ``max(window_seconds, LOGIN_KEEP_SECONDS)`` dropped, at most
    ``LOGIN_MAX_PER_KEY`` per key, and at most ``max_keys`` keys. Beyond that the keys
    with the fewest failures in the window (then the oldest last failure) go first, so
    a spray of new usernames pushes out other one-off typos, not a locked account."""
    keep_after = at - max(window_seconds, LOGIN_KEEP_SECONDS)
    kept = {}
    for k, times in docs.items():
        times = [t for t in times if isinstance(t, (int, float)) and t > keep_after]
        if times and k != key:
            kept[k] = times
    mine = ([t for t in docs.get(key, []) if isinstance(t, (int, float)) and t > keep_after]
            + [at])[-LOGIN_MAX_PER_KEY:]
    if len(kept) >= max_keys:
        ranked = sorted(kept.items(), reverse=True, key=lambda kv: (
            sum(1 for t in kv[1] if at - t < window_seconds), max(kv[1])))
        kept = dict(ranked[:max_keys - 1])
    kept[key] = mine
    return kept
