"""Word lists the generated names and texts are made of: names of companies, products and
people, titles, topics, publishers and headlines, the quotes of citations and the notes
of facts."""

from django.utils.text import slugify

from .weighted import Weighted

STEMS_A = [
    "Nova",
    "Aster",
    "Lumi",
    "Vex",
    "Orbi",
    "Quanta",
    "Zephy",
    "Kora",
    "Helio",
    "Mira",
    "Tera",
    "Syn",
    "Altu",
    "Cygn",
    "Vero",
    "Neur",
    "Pala",
    "Stra",
    "Ryth",
    "Ond",
    "Pixa",
    "Dyna",
    "Ferro",
    "Gala",
    "Ibis",
    "Juno",
    "Kelv",
    "Lexa",
    "Mosa",
    "Nimb",
]
STEMS_B = [
    "rix",
    "la",
    "tec",
    "nova",
    "gen",
    "mind",
    "sys",
    "lytics",
    "wave",
    "forge",
    "io",
    "line",
    "path",
    "core",
    "scale",
    "sense",
    "loop",
    "bit",
    "grid",
    "flow",
]
COMPANY_SUFFIXES = [
    "",
    "",
    "",
    " AI",
    " AI",
    " Labs",
    " Robotics",
    " Systems",
    " Technologies",
    " Cloud",
    " Analytics",
    " Health",
    " Capital",
    " Ventures",
    " Group",
]
PRODUCT_WORDS = [
    "Chat",
    "Assistant",
    "Studio",
    "Vision",
    "Voice",
    "Code",
    "Search",
    "Pilot",
    "Agent",
    "Translate",
    "Docs",
    "Edge",
    "Pro",
    "Mini",
    "Large",
    "Instruct",
]
FIRST_NAMES = [
    "Alice",
    "Arthur",
    "Camille",
    "Chen",
    "Daniel",
    "Elena",
    "Farid",
    "Giulia",
    "Hiroshi",
    "Ines",
    "Jonas",
    "Karin",
    "Leila",
    "Marc",
    "Nadia",
    "Omar",
    "Priya",
    "Rafael",
    "Sofia",
    "Thomas",
    "Ursula",
    "Victor",
    "Wei",
    "Yasmin",
    "Zoe",
]
LAST_NAMES = [
    "Anders",
    "Bernard",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Huang",
    "Ivanova",
    "Jensen",
    "Kim",
    "Laurent",
    "Mensah",
    "Novak",
    "Okafor",
    "Patel",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Umar",
    "Virtanen",
    "Wong",
    "Yilmaz",
    "Zhang",
]
ROLE_TITLES = [
    "CEO",
    "Co-founder and CEO",
    "CTO",
    "Co-founder",
    "Chief Scientist",
    "Head of Policy",
    "President",
    "Chief Operating Officer",
    "Chief Financial Officer",
    "Board member",
    "Head of Research",
]
PERSON_DESCRIPTIONS = [
    "",
    "",
    "Entrepreneur",
    "Researcher",
    "Investor",
    "Engineer",
    "Government minister",
    "Economist",
]
PARTNERSHIP_TOPICS = [
    "cloud capacity",
    "model distribution",
    "in-car assistant",
    "research",
    "public services",
    "data licensing",
    "chips supply",
    "customer support",
]
PLAN_TOPICS = [
    "a data centre",
    "a new office",
    "an open-weights model",
    "a hiring plan",
    "a research lab",
    "an IPO",
]

# (publisher, language); sources pick one at random.
PUBLISHERS = [
    ("Daily Tech Ledger", "en"),
    ("Market Wire", "en"),
    ("The Compute Review", "en"),
    ("Startup Gazette", "en"),
    ("Global Business Post", "en"),
    ("Company newsroom", "en"),
    ("Le Journal du Numérique", "fr"),
    ("Les Échos de la Tech", "fr"),
    ("Technik Rundschau", "de"),
    ("Diario Tecnológico", "es"),
    ("Corriere Digitale", "it"),
]
PUBLISHER_WEIGHTS = [14, 10, 8, 8, 8, 10, 5, 3, 5, 3, 2]
PUBLISHER_DOMAINS = [slugify(name).replace("-", "") + ".example" for name, _ in PUBLISHERS]
pick_publisher = Weighted(range(len(PUBLISHERS)), PUBLISHER_WEIGHTS)
HEADLINE_WORDS = [
    "raises",
    "launches",
    "expands",
    "reports",
    "partners with",
    "plans",
    "hires",
    "unveils",
    "signs",
    "doubles",
]
AUTHORS = ["", "", "Staff", "A. Martin", "J. Lee", "M. Rossi", "S. Novak", "K. Tanaka"]

# A quote in the source's language and its English translation.
METRIC_QUOTES = {
    "en": "{subject} said its {metric} reached {value}.",
    "fr": "Selon {subject}, {metric} : {value}.",
    "de": "Laut {subject} lag der Wert ({metric}) bei {value}.",
    "es": "Según {subject}, {metric}: {value}.",
    "it": "Secondo {subject}, {metric}: {value}.",
}
FACT_QUOTES = {
    "en": "{subject}: {claim}.",
    "fr": "{subject} : {claim}, selon nos informations.",
    "de": "{subject}: {claim}, wie das Unternehmen mitteilte.",
    "es": "{subject}: {claim}, según la empresa.",
    "it": "{subject}: {claim}, secondo l'azienda.",
}

NOTES = [
    "",
    "Figure as reported by the company.",
    "Rounded in the source.",
    "Other sources give a different figure.",
    "Period inferred from the article date.",
]
NOTE_WEIGHTS = [94, 2, 2, 1, 1]
pick_note = Weighted(NOTES, NOTE_WEIGHTS)
