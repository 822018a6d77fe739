"""A product's own advice as pages and emails show it (the text itself is product data)."""


def doctor_signs(product) -> list[str]:
    """The signs that call for a doctor, one per line of `see_doctor_if`, blank lines dropped."""
    return [line.strip().rstrip(";.") for line in (product.see_doctor_if or "").splitlines() if line.strip()]


def advice(product) -> dict:
    return {"dose_timing": product.dose_timing, "side_effects": product.side_effect_advice,
            "stopping": product.stopping_advice, "see_a_doctor_if": doctor_signs(product)}
