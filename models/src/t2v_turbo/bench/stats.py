"""Summaries of repeated measurements, and the machine's state when they were taken.

These machines are shared: one number means little, so every figure is a median with its
interquartile range, and a comparison of two things is the median of ratios taken in pairs, each
pair measured back to back (a load spike then hits both sides of a pair, not one side of the
comparison).
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """median, q1, q3, iqr, min, max and n of the samples (any unit)."""
    if len(samples) == 0:
        raise ValueError("no samples to summarize")
    a = np.asarray(samples, dtype=np.float64)
    q1, median, q3 = np.percentile(a, [25, 50, 75])
    return {
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "iqr": float(q3 - q1),
        "min": float(a.min()),
        "max": float(a.max()),
        "n": int(a.size),
    }


def paired_ratios(numerator: Sequence[float], denominator: Sequence[float]) -> dict[str, float]:
    """Summary of numerator[i] / denominator[i] over pairs measured back to back."""
    if len(numerator) != len(denominator):
        raise ValueError(f"{len(numerator)} numerators but {len(denominator)} denominators")
    return summarize([a / b for a, b in zip(numerator, denominator, strict=True)])


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict:
    """Where and when: CPU, cores, load average, library versions, commit."""
    import onnxruntime
    import torch

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_average": load_average(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "commit": git_commit(),
    }
