"""A card longer than the registry keeps (VARCHAR(5000)): the per-slice tables go first, so the
"Since release" section and the links stay; only then is the card cut at a line end."""

from __future__ import annotations

from ml_pipeline.monitoring.card import HEADING
from ml_pipeline.registry.model_card import (
    DESCRIPTION_LIMIT,
    SHORTENED,
    SLICES_ELSEWHERE,
    fitted,
    model_card,
)
from tests.configs import shipped_params
from tests.reporting.test_pages import METRICS, entry

MANY = {
    "min_count": 100,
    "columns": {
        f"group{g}": {"slices": [entry(f"level{i}", 1000, 0.9) for i in range(12)]}
        for g in range(6)
    },
    "worst": {},
}


def test_a_short_card_is_kept_whole() -> None:
    card = model_card(shipped_params(), METRICS, [], "passed, champion")
    assert len(card) <= DESCRIPTION_LIMIT and fitted(card) == card


def test_a_long_card_drops_its_slice_tables_before_anything_else() -> None:
    card = model_card(shipped_params(), METRICS, [], "passed, champion", slices=MANY)
    assert len(card) > DESCRIPTION_LIMIT  # the tables alone make it too long
    kept = fitted(card)
    assert len(kept) <= DESCRIPTION_LIMIT
    assert SLICES_ELSEWHERE in kept and "| level11 |" not in kept
    assert HEADING in kept and kept.endswith(card[card.rindex("\n") :].lstrip("\n"))
    assert SHORTENED not in kept
    assert kept.count("<details>") == kept.count("</details>")


def test_a_card_too_long_without_tables_is_cut_at_a_line_end_with_a_note() -> None:
    card = "\n".join(f"line {i:05d} " + "x" * 80 for i in range(200))
    kept = fitted(card)
    assert len(kept) <= DESCRIPTION_LIMIT and kept.endswith(SHORTENED)
    assert kept[: -len(SHORTENED)].splitlines()[-1].startswith("line ")
    assert len(kept[: -len(SHORTENED)].splitlines()[-1]) == len("line 00000 ") + 80
