"""The time stamped on outputs, which `SOURCE_DATE_EPOCH` can fix.

Reports say when they were produced. For a reproducible re-run (`svf cycle reproduce`, or a
reviewer checking that a closed cycle's reports come out byte for byte the same) set
`SOURCE_DATE_EPOCH` to a Unix time, the reproducible-builds convention that Typst also follows,
and every date the pipeline writes is that time instead of now.
"""

from __future__ import annotations

import datetime as dt
import os


def now() -> dt.datetime:
    """The current UTC time, or `SOURCE_DATE_EPOCH` when it is set to a valid Unix time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC)


def today() -> dt.date:
    return now().date()
