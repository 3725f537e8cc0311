"""An independent Python reference of the health formulas, diet-rule derivation and matching
(written from notes.md and the documented rules, not from the SQL), used by the property tests."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

NUTRIENT_KEYS = [
    "energy_kcal", "protein_g", "fat_g", "saturated_fat_g", "trans_fat_g", "carbohydrates_g", "sugars_g",
    "added_sugars_g", "fiber_g", "sodium_mg", "cholesterol_mg", "potassium_mg", "calcium_mg", "iron_mg",
]
ALLERGENS = ["milk", "egg", "fish", "crustacean_shellfish", "tree_nuts", "peanuts", "wheat", "soy", "sesame"]
ACTIVITY = {"sedentary": Decimal("1.2"), "light": Decimal("1.375"), "moderate": Decimal("1.55"),
            "very": Decimal("1.725"), "extra": Decimal("1.9")}
SEX_TERM = {"male": Decimal(5), "female": Decimal(-161), "other": Decimal(-78), "unspecified": Decimal(-78)}
KCAL_PER_G = {"fat_g": 9, "saturated_fat_g": 9, "trans_fat_g": 9, "protein_g": 4, "carbohydrates_g": 4,
              "sugars_g": 4, "added_sugars_g": 4, "energy_kcal": 1}
CENT = Decimal("0.01")


def r2(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def bmr(weight: Decimal, height: Decimal, age: int, gender: str) -> Decimal:
    return 10 * weight + Decimal("6.25") * height - 5 * age + SEX_TERM[gender]


def tdee(weight: Decimal, height: Decimal, age: int, gender: str, level: str) -> Decimal:
    return bmr(weight, height, age, gender) * ACTIVITY[level]


def bmi(weight: Decimal, height: Decimal) -> Decimal:
    m = height / 100
    return weight / (m * m)


def derive_limits(policies: dict[str, dict], conditions: list[str], weight: Decimal, tdee_2dp: Decimal) -> dict[str, dict[str, Decimal]]:
    """Daily limits: general + conditions, strictest wins (lowest max, highest min), resolved."""
    out: dict[str, dict[str, Decimal]] = {}
    for cond in sorted({"general", *conditions}):
        policy = policies.get(cond)
        if policy is None:
            continue
        for key, spec in policy.get("limits", {}).items():
            for kind, value in spec.items():
                v = Decimal(str(value))
                if kind in ("max", "min"):
                    amount = v
                elif kind.endswith("per_kg"):
                    amount = v * weight
                elif kind.endswith("per_1000_kcal"):
                    amount = v * tdee_2dp / 1000
                else:  # pct_kcal
                    amount = v / 100 * tdee_2dp / KCAL_PER_G[key]
                amount = r2(amount)
                direction = "max" if kind.startswith("max") else "min"
                cur = out.setdefault(key, {}).get(direction)
                if cur is None or (direction == "max" and amount < cur) or (direction == "min" and amount > cur):
                    out[key][direction] = amount
    return out


@dataclass
class Product:
    pid: str                      # uuid text
    nutrition: dict[str, float]
    tags: list[str]
    allergens: list[str]          # canonical codes after normalization
    ingredients_words: set[str]
    active: bool
    deleted: bool
    updated_at: int               # sortable


@dataclass
class Customer:
    limits: dict[str, dict[str, Decimal]]
    fiber_bonus: bool
    avoid: set[str]
    exclude_words: set[str]
    per_serving_max: dict[str, float]
    goals: list[str]
    blacklist: set[str] = field(default_factory=set)
    whitelist: set[str] = field(default_factory=set)
    weights: tuple[float, float, float] = (1.0, 0.5, 1.0)


def eligible(p: Product, c: Customer) -> bool:
    if not p.active or p.deleted or p.pid in c.blacklist:
        return False
    if set(p.allergens) & c.avoid:
        return False
    if p.ingredients_words & c.exclude_words:
        return False
    for key, cap in c.per_serving_max.items():
        if key not in p.nutrition or p.nutrition[key] > cap:
            return False
    return True


def score(p: Product, c: Customer) -> Decimal:
    wb, wp, ww = c.weights
    penalty = 0.0
    for key in NUTRIENT_KEYS:
        lim = c.limits.get(key, {}).get("max")
        if lim is not None:
            penalty += p.nutrition.get(key, 0.0) / max(float(lim), 1e-6)
    fmin = c.limits.get("fiber_g", {}).get("min")
    fiber = p.nutrition.get("fiber_g", 0.0) / float(fmin) if c.fiber_bonus and fmin is not None and fmin > 0 else 0.0
    fit = wp * len(set(c.goals) & set(p.tags)) / len(c.goals) if c.goals else 0.0
    wl = ww if p.pid in c.whitelist else 0.0
    raw = wb * (fiber - penalty) + fit + wl
    return Decimal(f"{raw:.15g}").quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def top_k(products: list[Product], c: Customer, k: int) -> list[tuple[str, Decimal]]:
    ranked = sorted(((score(p, c), p) for p in products if eligible(p, c)),
                    key=lambda sp: (-sp[0], -sp[1].updated_at, sp[1].pid))
    return [(p.pid, s) for s, p in ranked[:k]]
