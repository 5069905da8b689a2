"""Where synthetic members come from: province weights and region codes.

Approximate, for simulation only.
"""

from __future__ import annotations

# Resident population of the 31 mainland province-level regions, 2020 census, in units of 10,000
# (approximate). Hong Kong, Macau and Taiwan are left out: their residents do not hold mainland
# resident ID numbers, which is what the synthetic members use.
PROVINCE_POPULATION_10K: dict[str, int] = {
    "11": 2189,
    "12": 1387,
    "13": 7461,
    "14": 3492,
    "15": 2405,
    "21": 4259,
    "22": 2407,
    "23": 3185,
    "31": 2487,
    "32": 8475,
    "33": 6457,
    "34": 6103,
    "35": 4154,
    "36": 4519,
    "37": 10153,
    "41": 9937,
    "42": 5775,
    "43": 6645,
    "44": 12601,
    "45": 5013,
    "46": 1008,
    "50": 3205,
    "51": 8367,
    "52": 3856,
    "53": 4721,
    "54": 365,
    "61": 3953,
    "62": 2502,
    "63": 592,
    "64": 720,
    "65": 2585,
}

# Digits 3-6 of a region code name a prefecture and a county. The synthetic ones are drawn from
# these ranges; they look like real codes but need not name a real county, which is fine because
# validation only checks the province.
PREFECTURES = 12
COUNTIES = 20

# Share of members by the tier of the city they live in now, tier 1 to 5. Public reporting on
# Xiang Hu Bao said about 60% came from third-tier cities or smaller. Tier is independent of the
# ID's province because many members are migrant workers living far from where they were born.
CITY_TIER_WEIGHTS: tuple[float, ...] = (0.10, 0.30, 0.25, 0.20, 0.15)

# Chance of being rural by city tier; weighted by CITY_TIER_WEIGHTS this gives about 31%.
RURAL_BY_TIER: tuple[float, ...] = (0.05, 0.15, 0.30, 0.45, 0.60)

# Mobile number prefixes of the three mainland carriers (a selection).
PHONE_PREFIXES: tuple[str, ...] = (
    *(f"13{d}" for d in range(10)),
    "145",
    "147",
    *(f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)),
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    *(f"18{d}" for d in range(10)),
    "191",
    "198",
    "199",
)
