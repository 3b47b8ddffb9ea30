"""Market facts: the real curated file and the loader's messages on bad files."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from mineralmap import market
from mineralmap.errors import MineralmapError
from mineralmap.market import MarketFactsError, implied_test_purchase_price, load_market_facts


@pytest.fixture
def facts() -> pd.DataFrame:
    return load_market_facts()


def test_real_file_every_row_attributed(facts):
    assert list(facts.columns) == list(market.MARKET_FACT_COLUMNS)
    assert len(facts) >= 10
    assert facts["id"].is_unique
    for col in ("attribution", "as_of", "wording", "display", "fact"):
        assert (facts[col].str.len() > 0).all(), col
    assert set(facts["wording"]) <= {"as reported", "paraphrased"}
    figs = facts[facts["kind"] == "figure"]
    assert (figs["wording"] == "as reported").all()
    assert figs["value"].notna().all() and (figs["short"] != "").all()
    # no exact calendar date is claimed for "late 2025" press figures
    assert not facts["as_of"].str.contains(r"\d{4}-\d{2}-\d{2}").any()


def test_real_file_figures_match_the_brief(facts):
    v = facts.set_index("id")["value"]
    assert v["sb2o3_price_peak"] == 40000
    assert v["sb2o3_price_2024_09"] == 26000
    assert v["pakistan_reserve_share"] == 1
    assert v["dod_award_nova"] == 43.4e6
    # display text matches the numeric value it carries
    disp = facts.set_index("id")["display"]
    assert "40,000" in disp["sb2o3_price_peak"] and "26,000" in disp["sb2o3_price_2024_09"]


def test_implied_price_is_value_over_quantity(facts):
    v = facts.set_index("id")["value"]
    price = implied_test_purchase_price(facts)
    assert price == pytest.approx(v["nova_test_purchase_value"] / v["nova_test_purchase_quantity"])
    info = market.implied_test_purchase(facts)
    assert info.usd_per_t == price
    assert "upper bound" in info.label and ">100 t" in info.label
    # it changes with the inputs (computed, not stored)
    f2 = facts.copy()
    f2.loc[f2["id"] == "nova_test_purchase_quantity", "value"] = 200.0
    assert implied_test_purchase_price(f2) == pytest.approx(price / 2)
    f2.loc[f2["id"] == "nova_test_purchase_value", "value"] = np.nan
    with pytest.raises(MarketFactsError, match="nova_test_purchase_value"):
        implied_test_purchase_price(f2)


def _write(tmp_path, text: str):
    p = tmp_path / "facts.csv"
    p.write_text(text, encoding="utf-8")
    return p


HEADER = "id,kind,fact,value,unit,short,display,as_of,attribution,wording\n"


@pytest.mark.parametrize(
    "body, needle",
    [
        ("a,figure,Price,12x,US$/t,~12,about 12,2025,FT,as reported\n", "non-numeric value"),
        ("a,figure,Price,12,,~12,about 12,2025,FT,as reported\n", "without a unit"),
        ("a,figure,Price,12,US$/t,~12,about 12,2025,,as reported\n",
         "'attribution' is empty on line(s) 2"),
        ("a,rumour,Price,,,,x,2025,FT,as reported\n", "unknown kind"),
        ("a,statement,X,,,,x,2025,FT,as reported\na,statement,Y,,,,y,2025,FT,as reported\n",
         "duplicate id"),
        ("a,figure,Price,,,,about,2025,FT,as reported\n", "without a value"),
    ],
)
def test_bad_file_messages(tmp_path, body, needle):
    with pytest.raises(MarketFactsError, match=re.escape(needle)) as exc:
        load_market_facts(_write(tmp_path, HEADER + body))
    assert "facts.csv" in str(exc.value)
    assert isinstance(exc.value, MineralmapError)


def test_missing_file_and_missing_column(tmp_path):
    with pytest.raises(MarketFactsError, match="not found"):
        load_market_facts(tmp_path / "nope.csv")
    with pytest.raises(MarketFactsError, match=r"missing column\(s\) \['attribution'\]"):
        load_market_facts(_write(tmp_path, "id,kind,fact,value,unit,short,display,as_of,wording\n"))
