"""Market context facts: a small curated, attributed table (``geodata/market_facts.csv``).

Every row is a figure or statement *as reported* in the press (late 2025), with its attribution.
Nothing here is a live price. See ``geodata/README.md`` ("market_facts.csv") for the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mineralmap.config import get_settings
from mineralmap.errors import ValidationError

#: File name of the curated facts, inside :attr:`mineralmap.config.Settings.geodata_dir`.
MARKET_FACTS_FILE = "market_facts.csv"

#: Columns of ``geodata/market_facts.csv``, in file order.
MARKET_FACT_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "fact",
    "value",
    "unit",
    "short",
    "display",
    "as_of",
    "attribution",
    "wording",
)
#: ``kind`` values: a number (card), a reported statement, a paraphrased background point.
FACT_KINDS: tuple[str, ...] = ("figure", "statement", "background")
#: Columns that must be non-empty on every row.
_REQUIRED_TEXT = ("id", "kind", "fact", "display", "as_of", "attribution", "wording")

#: Fact ids the implied test-purchase price is computed from.
TEST_PURCHASE_QUANTITY_ID = "nova_test_purchase_quantity"
TEST_PURCHASE_VALUE_ID = "nova_test_purchase_value"


def market_facts_path() -> Path:
    """Default location of the curated facts file: ``<geodata_dir>/market_facts.csv``."""
    return get_settings().geodata_dir / MARKET_FACTS_FILE


def __getattr__(name: str) -> Path:
    # ``MARKET_FACTS_PATH`` follows the settings (``MINERALMAP_GEODATA``): computed on access.
    if name == "MARKET_FACTS_PATH":
        return market_facts_path()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MarketFactsError(ValidationError):
    """The market facts file is missing, unreadable or breaks its schema."""


def load_market_facts(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate the curated market facts.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        CSV file; default :func:`market_facts_path`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MARKET_FACT_COLUMNS`; ``value`` is float (NaN where the fact has no
        number), every other column is a string. Row order is file order. ``short`` is the
        compact card text of a ``figure`` ("~US$40,000/t"); ``display`` the full wording.

    Raises
    ------
    MarketFactsError
        File missing/unreadable, a column missing, an empty required field, a duplicate id, an
        unknown ``kind``, a non-numeric ``value``, a ``value`` without a ``unit``, or a
        ``figure`` row without a value or a short text.
    """
    p = Path(path) if path is not None else market_facts_path()
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise MarketFactsError(f"market facts file not found: {p}") from exc
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise MarketFactsError(f"market facts file {p} cannot be read as CSV: {exc}") from exc
    missing = [c for c in MARKET_FACT_COLUMNS if c not in raw.columns]
    if missing:
        raise MarketFactsError(
            f"{p.name}: missing column(s) {missing}; expected {list(MARKET_FACT_COLUMNS)}"
        )
    df = raw[list(MARKET_FACT_COLUMNS)].apply(lambda s: s.str.strip())
    problems: list[str] = []
    for col in _REQUIRED_TEXT:
        empty = df.index[df[col] == ""]
        if len(empty):
            rows = ", ".join(str(i + 2) for i in empty)  # +2: header line, 1-based
            problems.append(f"column {col!r} is empty on line(s) {rows}")
    dup = df.loc[df["id"].duplicated() & (df["id"] != ""), "id"].unique()
    if len(dup):
        problems.append(f"duplicate id(s) {list(dup)}")
    bad_kind = df.loc[~df["kind"].isin(FACT_KINDS) & (df["kind"] != ""), "kind"].unique()
    if len(bad_kind):
        problems.append(f"unknown kind(s) {list(bad_kind)}; allowed {list(FACT_KINDS)}")
    value = pd.to_numeric(df["value"].replace("", np.nan), errors="coerce")
    not_num = (df["value"] != "") & value.isna()
    if not_num.any():
        problems.append(
            "non-numeric value(s): "
            + ", ".join(f"{i}={v!r}" for i, v in zip(df["id"][not_num], df["value"][not_num],
                                                        strict=True))
        )
    no_unit = value.notna() & (df["unit"] == "")
    if no_unit.any():
        problems.append(f"value without a unit for id(s) {list(df['id'][no_unit])}")
    fig_no_value = (df["kind"] == "figure") & value.isna() & ~not_num
    if fig_no_value.any():
        problems.append(f"figure row(s) without a value: {list(df['id'][fig_no_value])}")
    fig_no_short = (df["kind"] == "figure") & (df["short"] == "")
    if fig_no_short.any():
        problems.append(f"figure row(s) without a short card text: {list(df['id'][fig_no_short])}")
    if problems:
        raise MarketFactsError(f"{p.name} is invalid: " + "; ".join(problems))
    df["value"] = value.astype(float)
    return df.reset_index(drop=True)


@dataclass(frozen=True)
class ImpliedPrice:
    """A price derived from reported figures (not itself reported)."""

    usd_per_t: float
    label: str
    basis: str


def _fact_value(facts: pd.DataFrame, fact_id: str) -> float:
    row = facts.loc[facts["id"] == fact_id, "value"]
    if row.empty or not np.isfinite(float(row.iloc[0])):
        raise MarketFactsError(
            f"market facts: no numeric value for {fact_id!r} (needed for the implied price)"
        )
    return float(row.iloc[0])


def implied_test_purchase_price(facts: pd.DataFrame) -> float:
    """Implied US$ per tonne of the planned test purchase: reported value / reported quantity.

    The quantity is reported as *more than* 100 t, so the result is an upper bound on the
    implied price per tonne of concentrate (see :func:`implied_test_purchase`).

    Parameters
    ----------
    facts : pandas.DataFrame
        Output of :func:`load_market_facts`.

    Returns
    -------
    float
        US$ per tonne.
    """
    value = _fact_value(facts, TEST_PURCHASE_VALUE_ID)
    qty = _fact_value(facts, TEST_PURCHASE_QUANTITY_ID)
    if qty <= 0:
        raise MarketFactsError(f"market facts: {TEST_PURCHASE_QUANTITY_ID!r} must be positive")
    return value / qty


def implied_test_purchase(facts: pd.DataFrame) -> ImpliedPrice:
    """:func:`implied_test_purchase_price` with its label and basis, for display."""
    price = implied_test_purchase_price(facts)
    value = _fact_value(facts, TEST_PURCHASE_VALUE_ID)
    qty = _fact_value(facts, TEST_PURCHASE_QUANTITY_ID)
    return ImpliedPrice(
        usd_per_t=price,
        label="implied, upper bound since >100 t",
        basis=(
            f"computed here: US${value / 1e6:,.1f} million / {qty:,.0f} t; both figures as "
            "reported, the quantity is 'more than' 100 t, so the real price per tonne of "
            "concentrate is at most this"
        ),
    )
