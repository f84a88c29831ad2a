"""HealthKit's unit strings converted with pint: never a unit assumed, never one guessed.

HealthKit writes each sample's unit as its own short string (`HKUnit.unitString`): `kg`, `lb`,
`st` (stone), `g`, `oz`; `count/min`; `mmHg`; `mg/dL` and `mmol<180.1558800000541>/L` (millimoles
with the molar mass of glucose in angle brackets); `km`, `mi`, `m`, `yd`; `kcal`, `Cal` (the food
calorie, a kilocalorie), `kJ`; `min`, `s`, `hr`; `%` (a fraction: 0.215 is 21.5 %), and `·` for a
product. A few spellings pint does not share are translated; the conversion itself is pint's.
A unit that does not convert to what a field stores is refused (the caller notes it).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

_MOLAR_MASS = re.compile(r"<([0-9.]+)>")
_SPELLINGS = {
    "st": "stone",
    "Cal": "kilocalorie",
    "hr": "hour",
    "fl_oz_us": "US_fluid_ounce",
    "fl_oz_imp": "imperial_fluid_ounce",
    "mcg": "microgram",
    "cmAq": "cm_H2O",
}
_WORD = re.compile(r"[A-Za-z_]+")
GLUCOSE_MOLAR_MASS = 180.15588
"""g/mol, the value HealthKit writes in `mmol<180.1558800000541>/L`."""
MAX_UNIT_CHARS = 40
"""A unit string longer than this is not HealthKit's."""


@cache
def _registry() -> Any:
    import pint  # loading its definitions takes a moment: only when an export is read

    return pint.UnitRegistry()


def _pint_expression(unit: str) -> tuple[str, float | None]:
    """The unit as pint reads it, and the molar mass it carries (or None)."""
    found = _MOLAR_MASS.search(unit)
    molar_mass = float(found.group(1)) if found else None
    text = _MOLAR_MASS.sub("", unit).replace("·", "*").replace("^", "**")
    if "/" in text and "*" in text.split("/", 1)[1]:  # HealthKit's `mL/min·kg` is mL/(min·kg)
        top, bottom = text.split("/", 1)
        text = f"{top}/({bottom})"
    text = _WORD.sub(lambda word: _SPELLINGS.get(word.group(0), word.group(0)), text)
    return text, molar_mass


@lru_cache(maxsize=256)
def factor(unit: str, target: str) -> float | None:
    """What a value in HealthKit's `unit` is multiplied by to be in `target` (a pint unit).

    None when the unit is unknown or measures something else. A mass concentration converts to a
    substance concentration (mg/dL to mmol/L) through the molar mass of glucose.
    """
    if not unit or len(unit) > MAX_UNIT_CHARS:
        return None
    import pint

    registry = _registry()
    expression, molar_mass = _pint_expression(unit)
    try:
        quantity = registry.Quantity(1.0, expression)
        try:
            return float(quantity.to(target).magnitude)
        except pint.DimensionalityError:
            wanted = registry.Quantity(1.0, target)
            per_mole = registry.Quantity(molar_mass or GLUCOSE_MOLAR_MASS, "g/mol")
            if quantity.dimensionality == (wanted * per_mole).dimensionality:
                return float((quantity / per_mole).to(target).magnitude)
            return None
    except (pint.PintError, ValueError, TypeError, AttributeError, SyntaxError):
        return None
