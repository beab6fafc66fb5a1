"""Robust per-household statistics for the care-watch detector (numpy, rows = households)."""

from __future__ import annotations

import numpy as np


def kth(values: np.ndarray, q: float) -> np.ndarray:
    """Per-row q-quantile (nearest rank) without sorting whole rows."""
    if q >= 1.0:
        return values.max(axis=1)
    k = min(values.shape[1] - 1, int(round(q * (values.shape[1] - 1))))
    return np.partition(values, k, axis=1)[:, k]


def masked_quantile(values: np.ndarray, mask: np.ndarray, q: float) -> np.ndarray:
    """Per-row q-quantile (nearest rank) of the values where `mask` holds (0 for empty rows)."""
    keyed = np.sort(np.where(mask, values, -np.inf), axis=1)
    k = mask.sum(axis=1)
    rank = values.shape[1] - k + np.floor(q * np.maximum(k - 1, 0)).astype(np.int64)
    out = np.take_along_axis(keyed, np.minimum(rank, values.shape[1] - 1)[:, None], axis=1)[:, 0]
    return np.where(k > 0, out, 0.0)


def rolling_min(x: np.ndarray, m: int) -> np.ndarray:
    out = x.copy()
    for j in range(1, m):
        out[:, j:] = np.minimum(out[:, j:], x[:, :-j])
        out[:, :j] = 0
    return out


def rolling_sum(x: np.ndarray, m: int) -> np.ndarray:
    """Sum of each value and the m - 1 before it along rows (the first m - 1 columns: 0)."""
    out = x.copy()
    for j in range(1, m):
        out[:, j:] += x[:, :-j]
    out[:, : m - 1] = 0
    return out


def rising(cond: np.ndarray) -> np.ndarray:
    prev = np.zeros_like(cond)
    prev[:, 1:] = cond[:, :-1]
    return cond & ~prev


def hour_max(x: np.ndarray, train: slice, group: np.ndarray) -> np.ndarray:
    """Per household and (day type, hour of day) group: the highest use at that hour +-1."""
    xt, g = x[:, train], group[train]
    out = np.zeros((x.shape[0], 48), dtype=np.float64)
    for k in range(48):
        near = ((g // 24) == k // 24) & (np.abs(((g % 24) - k % 24 + 12) % 24 - 12) <= 1)
        if not near.any():
            near = np.abs(((g % 24) - k % 24 + 12) % 24 - 12) <= 1
        out[:, k] = xt[:, near].max(axis=1)
    return out
