"""Static reference data the generator draws from: trades, places, banks, digital suppliers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Trade:
    naf_code: str
    # `{last}` is a surname, `{first}` a first name, `{place}` the city.
    name_templates: tuple[str, ...]
    weight: int = 1

    @property
    def is_hotel(self) -> bool:
        return self.naf_code == "55.10Z"


TRADES: tuple[Trade, ...] = (
    Trade("10.71C", ("Boulangerie {last}", "Au Fournil de {first}", "Boulangerie-Pâtisserie {last}"), 4),
    Trade("47.24Z", ("Pâtisserie {last}", "Les Douceurs de {first}", "Confiserie {last}"), 2),
    Trade("47.71Z", ("Boutique {last}", "{last} Mode", "Le Dressing de {first}"), 5),
    Trade("47.72A", ("Chaussures {last}", "Le Pas de {first}"), 1),
    Trade("47.76Z", ("Fleurs {last}", "L'Atelier Floral de {first}", "{first} Fleurs"), 2),
    Trade("47.61Z", ("Librairie {last}", "Librairie de {place}", "La Page de {first}"), 2),
    Trade("47.22Z", ("Boucherie {last}", "Boucherie-Charcuterie {last}"), 2),
    Trade("47.78C", ("Atelier {last}", "Cadeaux {last}", "Bazar de {place}"), 2),
    Trade("56.10A", ("Restaurant {last}", "Le Bistrot de {first}", "Chez {first}", "La Table de {place}"), 5),
    Trade("56.10C", ("Snack {first}", "{last} Burger", "Pizzeria {last}"), 2),
    Trade("56.30Z", ("Café {last}", "Le Bar de {place}", "Café de la Place"), 2),
    Trade("55.10Z", ("Hôtel {last}", "Hôtel de la Gare", "Hôtel du Centre"), 2),
    Trade("96.02A", ("Salon {first}", "{first} Coiffure", "Coiffure {last}"), 4),
    Trade("96.02B", ("Institut {first}", "Beauté {last}", "L'Instant de {first}"), 2),
    Trade("93.13Z", ("Salle {last} Fitness", "Studio Forme {place}"), 1),
    Trade("43.21A", ("{last} Électricité", "Électricité {last}"), 2),
    Trade("43.32A", ("Menuiserie {last}", "Atelier Bois {last}"), 1),
    Trade("95.23Z", ("Cordonnerie {last}", "Cordonnerie de {place}"), 1),
    Trade("74.20Z", ("Studio {last} Photo", "{first} Photographie"), 1),
)

# INSEE legal categories of small businesses, with how often they occur among them.
LEGAL_CATEGORIES: tuple[tuple[str, int], ...] = (
    ("1000", 30),  # entrepreneur individuel
    ("5499", 30),  # SARL
    ("5498", 10),  # EURL
    ("5710", 10),  # SAS
    ("5720", 20),  # SASU
)
SOLE_TRADER = "1000"
LEGAL_SUFFIX = {"5499": "SARL", "5498": "EURL", "5710": "SAS", "5720": "SASU"}

# Metropolitan France only (overseas postcodes 97x/98x are a separate, rejected case).
PLACES: tuple[tuple[str, str], ...] = (
    ("75011", "Paris"),
    ("75018", "Paris"),
    ("75005", "Paris"),
    ("69003", "Lyon"),
    ("69007", "Lyon"),
    ("13001", "Marseille"),
    ("13008", "Marseille"),
    ("31000", "Toulouse"),
    ("06000", "Nice"),
    ("44000", "Nantes"),
    ("67000", "Strasbourg"),
    ("34000", "Montpellier"),
    ("33000", "Bordeaux"),
    ("59000", "Lille"),
    ("35000", "Rennes"),
    ("51100", "Reims"),
    ("42000", "Saint-Étienne"),
    ("83000", "Toulon"),
    ("38000", "Grenoble"),
    ("21000", "Dijon"),
    ("49100", "Angers"),
    ("30000", "Nîmes"),
    ("63000", "Clermont-Ferrand"),
    ("72000", "Le Mans"),
    ("29200", "Brest"),
    ("37000", "Tours"),
    ("80000", "Amiens"),
    ("87000", "Limoges"),
    ("74000", "Annecy"),
    ("66000", "Perpignan"),
    ("57000", "Metz"),
    ("25000", "Besançon"),
    ("45000", "Orléans"),
    ("76000", "Rouen"),
    ("14000", "Caen"),
    ("54000", "Nancy"),
    ("64000", "Pau"),
    ("17000", "La Rochelle"),
    ("20000", "Ajaccio"),
    ("86000", "Poitiers"),
    ("56000", "Vannes"),
    ("24000", "Périgueux"),
    ("12000", "Rodez"),
    ("05000", "Gap"),
    ("15000", "Aurillac"),
    ("46000", "Cahors"),
    ("23000", "Guéret"),
    ("88000", "Épinal"),
    ("41000", "Blois"),
    ("84000", "Avignon"),
    ("26000", "Valence"),
    ("01000", "Bourg-en-Bresse"),
    ("22000", "Saint-Brieuc"),
    ("50100", "Cherbourg-en-Cotentin"),
    ("62200", "Boulogne-sur-Mer"),
    ("71100", "Chalon-sur-Saône"),
    ("19100", "Brive-la-Gaillarde"),
    ("81000", "Albi"),
    ("40100", "Dax"),
    ("68100", "Mulhouse"),
)

# Five-digit bank codes (code banque) of French retail banks, so generated IBANs map to a real BIC.
BANK_CODES: tuple[str, ...] = ("30004", "30003", "30002", "20041", "10278", "11306", "13335", "10107", "30066")

# Digital service suppliers: name templates by invoice category (`{last}` a surname, `{place}` a city).
SUPPLIER_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Atelier Web {place}", "showcase_site"),
    ("{last} Digital", "ecommerce_site"),
    ("Agence {last} & Associés", "ecommerce_site"),
    ("Studio Créa {last}", "content_creation"),
    ("Pixel {place}", "web_visibility"),
    ("Hébergeur Numérique {last}", "hosting_domain_security"),
    ("Caisse Connectée {last}", "point_of_sale"),
    ("Réserv'{place}", "online_booking"),
    ("Paiement Facile {last}", "online_payment"),
    ("Stock & Livraison {last}", "stock_order_delivery"),
    ("Relation Client {last}", "customer_relationship"),
    ("Mailing {place}", "email_marketing"),
    ("Place de Marché {place}", "marketplace"),
    ("Conseil Numérique {last}", "digitalisation_support"),
)

# The categories a shop most often buys together, to pick a plausible basket of 1 to 3 invoices.
COMMON_CATEGORIES: tuple[str, ...] = (
    "ecommerce_site",
    "ecommerce_site",
    "showcase_site",
    "showcase_site",
    "content_creation",
    "online_payment",
    "marketplace",
    "web_visibility",
    "online_booking",
    "stock_order_delivery",
    "point_of_sale",
    "point_of_sale",
    "hosting_domain_security",
    "customer_relationship",
    "email_marketing",
)

# Reserved for documentation (RFC 2606 and the contract's own example): never a real mailbox.
EMAIL_DOMAINS: tuple[str, ...] = ("example.fr", "example.org", "example.com", "example.net")

# Number ranges ARCEP reserves for fiction, so a generated phone number never rings anyone.
PHONE_PREFIXES: tuple[str, ...] = ("1 99 00", "2 61 91", "3 53 01", "4 65 71", "5 36 49", "6 39 98")
