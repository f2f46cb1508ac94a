"""Invented but plausible values for synthetic stock files, with rough weights of the real population."""

from __future__ import annotations

SURNAMES = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT",
    "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD",
    "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT", "MULLER", "LEFEVRE", "FAURE", "ANDRE",
    "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER", "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER", "NGUYEN",
)  # fmt: skip
FIRST_NAMES_F = (
    "MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "CATHERINE", "SANDRINE", "CELINE", "JULIE", "CAMILLE", "LEA",
    "CHLOE", "MANON", "SOPHIE", "AURELIE", "EMILIE", "CLAIRE", "ANNE", "LAURA", "ELODIE", "PAULINE",
)  # fmt: skip
FIRST_NAMES_M = (
    "JEAN", "PHILIPPE", "MICHEL", "ALAIN", "PATRICK", "NICOLAS", "CHRISTOPHE", "PIERRE", "LAURENT", "THOMAS",
    "JULIEN", "ANTOINE", "MAXIME", "LUCAS", "HUGO", "DAVID", "ERIC", "FREDERIC", "SEBASTIEN", "KEVIN",
)  # fmt: skip
TRADES = (
    "BOULANGERIE", "GARAGE", "CABINET", "TRANSPORTS", "ATELIER", "HOLDING", "CONSEIL", "IMMOBILIERE",
    "BATIMENT", "RESTAURANT", "PHARMACIE", "BOUTIQUE", "AGENCE", "INFORMATIQUE", "SERVICES", "DISTRIBUTION",
)  # fmt: skip
PLACES = (
    "DU CENTRE", "DE LA GARE", "DES ALPES", "DU LITTORAL", "DE PROVENCE", "DU VAL DE LOIRE", "DE BRETAGNE",
    "DU NORD", "DES VOSGES", "D'AQUITAINE", "DE LA VALLEE", "DU PORT",
    'ET FILS, "LE RELAIS"',  # a comma and quotes, as real names have: the CSV must quote them
)  # fmt: skip

# (code, weight) of the legal categories of companies that are not sole traders (those are all "1000").
LEGAL_CATEGORIES = (
    ("5710", 30), ("5499", 22), ("5720", 12), ("5498", 8), ("6540", 12), ("9220", 10), ("5599", 2), ("6599", 2),
    ("5202", 1), ("7210", 1),
)  # fmt: skip
ASSOCIATION = "9220"
SOLE_TRADER = "1000"

NAF_REV2_CODES = (
    "47.71Z", "47.11F", "56.10A", "56.10C", "10.71C", "45.20A", "43.21A", "43.22A", "43.32A", "41.20A",
    "62.01Z", "62.02A", "70.22Z", "69.20Z", "69.10Z", "68.20A", "68.20B", "68.10Z", "86.21Z", "86.90E",
    "96.02A", "96.09Z", "49.41A", "49.32Z", "74.10Z", "73.11Z", "85.59A", "85.51Z", "94.99Z", "93.12Z",
    "01.11Z", "01.21Z", "47.91A", "47.73Z", "55.10Z", "66.22Z", "81.21Z", "90.01Z", "25.62B", "16.23Z",
)  # fmt: skip
# Codes of the nomenclatures used before 2008, as they appear on units that ceased before then.
OLD_NAF_CODES = (("NAFRev1", "52.4H"), ("NAFRev1", "74.1G"), ("NAF1993", "55.3A"), ("NAFRev1", "45.2B"))

# Headcount bands with weights: most units employ nobody.
HEADCOUNT_BANDS = (
    ("NN", 520), ("", 60), ("00", 150), ("01", 110), ("02", 60), ("03", 40), ("11", 30), ("12", 18),
    ("21", 6), ("22", 3), ("31", 2), ("32", 1), ("41", 1), ("42", 1), ("51", 1), ("52", 1), ("53", 1),
)  # fmt: skip
LARGE_BANDS = frozenset({"41", "42", "51", "52", "53"})
MID_BANDS = frozenset({"21", "22", "31", "32"})
