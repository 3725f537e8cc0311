"""An independent Python model of what a CSV ingestion must produce, for the pipeline properties.

Values are generated here as numbers, words and codes and only then written as CSV text in some
spelling ("1.234,50", "$3.49", "Whey; tofu"), so the expected typed value is what was generated,
not a re-parse of the text. Unit rules are the ones of notes.md and PRD §11.4:
kcal = kJ / 4.184; sodium mg = salt g * 1000 / 2.5; mg = g * 1000; a per-100 g value is scaled to
the serving when the serving is a mass or a volume (ml counted as g), else kept; values that went
through a conversion are rounded to 3 decimals (half away from zero); lb = 0.45359237 kg;
in = 2.54 cm; ft = 12 in."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

OZ_G = Fraction("28.349523125")
LB_G = Fraction("453.59237")
LB_KG = Fraction("0.45359237")
IN_CM = Fraction("2.54")

# Serving sizes as written, with their grams (None: not a mass or a volume).
SERVINGS: dict[str, Fraction | None] = {
    "30 g": Fraction(30), "45g": Fraction(45), "250 ml": Fraction(250), "1.5 oz": Fraction(3, 2) * OZ_G,
    "0,5 kg": Fraction(500), "1 lb": LB_G, "100 g": Fraction(100), "1 cup": None, "2 slices": None, "1 bar": None,
}

# Label words -> canonical codes, from notes.md "Allergens" (and the codes themselves).
ALLERGEN_WORDS: dict[str, str] = {
    "Milk": "milk", "whey": "milk", "Casein": "milk", "ghee": "milk", "egg": "egg", "albumin": "egg",
    "groundnut": "peanuts", "Peanuts": "peanuts", "semolina": "wheat", "spelt": "wheat", "Wheat": "wheat",
    "tofu": "soy", "Edamame": "soy", "soy": "soy", "tahini": "sesame", "sesame": "sesame", "prawn": "crustacean_shellfish",
    "lobster": "crustacean_shellfish", "fish": "fish", "tree nuts": "tree_nuts",
}
# Diet tags: canonical codes in other spellings, and a few dictionary words.
DIET_WORDS: dict[str, str] = {
    "vegan": "vegan", "Vegetarian": "vegetarian", "gluten free": "gluten_free", "Gluten-Free": "gluten_free",
    "organic": "organic", "KOSHER": "kosher", "plant based": "vegan", "keto": "keto", "high fibre": "high_fiber",
    "low sodium": "low_sodium",
}

# Unit ops of the header dictionary, as factors (per_100g is applied with the row's serving).
OP_FACTORS: dict[str, Fraction] = {
    "kj_to_kcal": 1 / Fraction("4.184"), "g_to_mg": Fraction(1000), "mg_to_g": Fraction(1, 1000),
    "salt_g_to_sodium_mg": Fraction(1000) / Fraction("2.5"), "lb_to_kg": LB_KG, "oz_to_g": OZ_G,
    "in_to_cm": IN_CM, "m_to_cm": Fraction(100),
}
NUTRIENT_MAX = {"energy_kcal": 20000}  # else: *_mg 1,000,000, others 5,000


def nutrient_max(field: str) -> int:
    return NUTRIENT_MAX.get(field, 1_000_000 if field.endswith("_mg") else 5000)


def round_half_up(value: Fraction | Decimal, places: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        d = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else value
        return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def converted(value: Decimal, ops: list[str], serving: str | None) -> Decimal:
    """A cell's number after the column's unit ops (in order); unchanged when there are none."""
    ops = [op for op in ops if op != "split_list"]
    if not ops:
        return value
    v = Fraction(value)
    for op in ops:
        if op == "per_100g":
            grams = SERVINGS.get(serving.strip()) if serving else None
            v = v * (grams / 100 if grams is not None else 1)
        else:
            v = v * OP_FACTORS[op]
    return round_half_up(v, 3)


def codes(words: list[str], table: dict[str, str]) -> list[str]:
    """Distinct canonical codes, sorted (as the products' arrays are stored)."""
    return sorted({table[w] for w in words})


def gtin_type(digits: str) -> str | None:
    return {8: "ean_8", 12: "upc_a", 13: "ean_13", 14: "gtin_14"}.get(len(digits))


def height_cm_from_ft_in(feet: int, inches: int) -> Fraction:
    return (feet * 12 + inches) * IN_CM


def spell_number(value: Decimal, style: str) -> str:
    """A number as a vendor might write it: '1234.5', '1234,5', '1,234.50', '1.234,50'."""
    text = f"{value:.2f}" if style in ("thousands_point", "thousands_comma") else format(value.normalize(), "f")
    if style == "comma":
        return text.replace(".", ",")
    if style == "thousands_comma":        # 1,234.50
        whole, frac = text.split(".")
        return f"{int(whole):,}.{frac}"
    if style == "thousands_point":        # 1.234,50
        whole, frac = text.split(".")
        return f"{int(whole):,}".replace(",", ".") + "," + frac
    return text
