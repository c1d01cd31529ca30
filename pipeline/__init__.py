"""Social value review pipeline: validate partner returns, compute outcome measures, render reports."""

__version__ = "0.1.0"
