"""The demo dataset: what two news articles of February 2025 say about Mistral AI, Le Chat
and their competitors. A data table, not logic: long because the articles say much, and
kept in one file so that it reads in the order of the articles.

Each record is written next to the quotes that back it, so it can be checked against the
article in `sources/`. A quote is copied character for character from the article
(curly apostrophes and quotation marks included); the loader refuses one it cannot find.
Nothing is taken from the related headlines at the end of the Italian page ("POTREBBE
INTERESSARTI" and below): they are the publisher's page furniture, not this article.

Records name other records by slug (companies, people, products, platforms, metric types)
or, for events, by title. Dates with a precision are written as the first day of their
period (February 2025 is date(2025, 2, 1), "month").

Confidence: "high" where an article states it plainly and it is either identity or said by
both articles; "medium" for a figure or claim from one article, or where we read its words
(a range for "a few tens of millions", a platform named in the sentence before); "low" for
speculation and for a claim we doubt.

How it was recorded (READ, and a record's `recorded`, `typed_first`, `corrected` and
`deleted`), so that the history, time travel, restores and conflicts have something true
to show. Each article's facts were recorded on the day it was read, with its quotes; the
French article, read second, added its citations to the facts already there. Then:

- 13 Feb 2025: Mistral AI's revenue target, typed in dollars, corrected to euros;
- 14 Feb 2025: Le Chat's rank in Spain deleted as a duplicate of its rank in Italy (it is
  not one: the two share a sentence and a rank, not a country);
- 20 Feb 2025: Le Chat's launch recorded without a source, awaiting one that dates it;
- 3 Mar 2025: Le Chat's rank in Germany recorded as 66, against the 6 typed on the first
  reading (a digit dropped): an open conflict, for an editor to resolve.

The ChatGPT claim of November 2023 is disputed from the start (its note says why).
"""

from datetime import UTC, date, datetime
from typing import NamedTuple


class Quote(NamedTuple):
    source: str  # a key of SOURCES
    text: str  # verbatim, in the article's language
    translation: str  # English
    said_by: str = ""  # slug of the person who said it, when the words are theirs
    field: str = ""  # the field of the record this quote backs, when it backs one


class Later(NamedTuple):
    """An editor's later write: when, and the reason kept in history."""

    at: datetime
    why: str


IT = "it"
FR = "fr"

# When each article was read: its facts are recorded at that instant.
READ = {
    IT: datetime(2025, 2, 12, 9, 30, tzinfo=UTC),  # the day after it was published
    FR: datetime(2025, 2, 20, 14, 0, tzinfo=UTC),
}

# Neither page names its publisher (the Italian byline "da |" is empty too), so the
# publisher says so rather than guess a name; no URL is known for either page.
SOURCES = {
    IT: {
        "file": "2025-02-11-mistral-ai-action-summit.it.txt",
        "title": "Mistral si rilancia all’AI Action Summit di Parigi (grazie a Macron)",
        "publisher": "Unnamed publisher (Italian-language news site)",
        "language": "it",
        "kind": "news_article",
        "published_on": date(2025, 2, 11),
        "published_precision": "day",
    },
    # The page has no headline: the title is its opening words, marked as such.
    FR: {
        "file": "2025-02-le-chat-one-million-downloads.fr.txt",
        "title": (
            "[No headline] En seulement deux semaines, l’application Le Chat de Mistral "
            "a atteint un million de téléchargements"
        ),
        "publisher": "Unnamed publisher (French-language site)",
        "language": "fr",
        "kind": "news_article",
        "published_on": date(2025, 2, 1),
        "published_precision": "month",
    },
}


# People come first: quotes further down are attributed to them.

PEOPLE = [
    {
        "slug": "arthur-mensch",
        "name": "Arthur Mensch",
        "description": "Co-founder and CEO of Mistral AI",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "ha dichiarato Arthur Mensch, cofondatore e CEO di Mistral.",
                "said Arthur Mensch, co-founder and CEO of Mistral.",
                field="description",
            ),
        ],
    },
    {
        "slug": "nicolas-dufourcq",
        "name": "Nicolas Dufourcq",
        "description": "CEO of Bpifrance",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "ha dichiarato Nicolas Dufourcq, CEO di Bpifrance",
                "said Nicolas Dufourcq, CEO of Bpifrance",
                field="description",
            ),
        ],
    },
    {
        "slug": "emmanuel-macron",
        "name": "Emmanuel Macron",
        "description": "President of France",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "presidente francese Emmanuel Macron",
                "French president Emmanuel Macron",
                field="description",
            ),
            Quote(
                FR,
                "le président français Emmanuel Macron",
                "the French president Emmanuel Macron",
                field="description",
            ),
        ],
    },
]


# Companies. A country is filled in only where an article states it.

COMPANIES = [
    {
        "slug": "mistral-ai",
        "name": "Mistral AI",
        "kind": "ai_lab",
        "country": "FR",
        "description": "French AI company, maker of the Le Chat assistant.",
        "aliases": ["Mistral"],
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Un tempo considerata una delle più promettenti aziende AI in Europa",
                "Once considered one of the most promising AI companies in Europe",
                field="kind",
            ),
            Quote(
                IT,
                "Ecco perché l’Artificial Intelligence Action Summit di Parigi assume "
                "un’importanza tutt’altro che marginale per l’azienda francese.",
                "That is why the Artificial Intelligence Action Summit in Paris is anything "
                "but marginal for the French company.",
                field="country",
            ),
        ],
    },
    {
        "slug": "openai",
        "name": "OpenAI",
        "kind": "ai_lab",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "OpenAI e Anthropic sono cresciute fino ad assorbire gran parte delle "
                "risorse del mercato.",
                "OpenAI and Anthropic have grown to absorb much of the market's resources.",
            ),
        ],
    },
    {
        "slug": "anthropic",
        "name": "Anthropic",
        "kind": "ai_lab",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "OpenAI e Anthropic sono cresciute fino ad assorbire gran parte delle "
                "risorse del mercato.",
                "OpenAI and Anthropic have grown to absorb much of the market's resources.",
            ),
        ],
    },
    {
        "slug": "deepseek",
        "name": "DeepSeek",
        "kind": "ai_lab",
        "country": "CN",
        "description": "Chinese AI company that publishes open-weight models.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Nel frattempo, la cinese DeepSeek ha lanciato modelli AI open-weight capaci "
                "di superare le prestazioni di quelli di Mistral.",
                "Meanwhile, China's DeepSeek has launched open-weight AI models able to "
                "outperform Mistral's.",
                field="country",
            ),
        ],
    },
    {
        "slug": "google",
        "name": "Google",
        "kind": "technology",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                FR,
                "Des entreprises comme Google et Microsoft sont déjà bien implantées dans le "
                "domaine des assistants AI avec des produits comme Gemini et Copilot.",
                "Companies such as Google and Microsoft are already well established in AI "
                "assistants, with products such as Gemini and Copilot.",
            ),
        ],
    },
    {
        "slug": "microsoft",
        "name": "Microsoft",
        "kind": "technology",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                FR,
                "Des entreprises comme Google et Microsoft sont déjà bien implantées dans le "
                "domaine des assistants AI avec des produits comme Gemini et Copilot.",
                "Companies such as Google and Microsoft are already well established in AI "
                "assistants, with products such as Gemini and Copilot.",
            ),
        ],
    },
    {
        "slug": "france-travail",
        "name": "France Travail",
        "kind": "public_agency",
        "description": "National employment agency.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "France Travail, l’agenzia nazionale per l’impiego",
                "France Travail, the national employment agency",
                said_by="arthur-mensch",
                field="kind",
            ),
        ],
    },
    {
        "slug": "veolia",
        "name": "Veolia",
        "kind": "enterprise",
        "description": "Operates waste-water treatment plants, among other things.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Un’altra collaborazione di rilievo è quella con Veolia, che sta impiegando i "
                "modelli AI di Mistral per ottimizzare la gestione degli impianti di "
                "trattamento delle acque reflue.",
                "Another notable collaboration is with Veolia, which is using Mistral's AI "
                "models to optimise the management of waste-water treatment plants.",
            ),
        ],
    },
    {
        "slug": "stellantis",
        "name": "Stellantis",
        "kind": "enterprise",
        "description": "Car maker that controls Peugeot, Citroën, Fiat and Jeep.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Stellantis, il colosso automobilistico che controlla Peugeot, Citroën, "
                "Fiat e Jeep",
                "Stellantis, the car-making giant that controls Peugeot, Citroën, Fiat and Jeep",
                field="description",
            ),
        ],
    },
    {
        "slug": "helsing",
        "name": "Helsing",
        "kind": "technology",
        "description": "European defence-technology company.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Helsing, un’azienda europea specializzata in tecnologie per la difesa.",
                "Helsing, a European company specialising in defence technology.",
                field="description",
            ),
        ],
    },
    {
        "slug": "bpifrance",
        "name": "Bpifrance",
        "kind": "investor",
        "description": "One of Mistral AI's first investors.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Nicolas Dufourcq, CEO di Bpifrance, uno dei primi investitori della startup.",
                "Nicolas Dufourcq, CEO of Bpifrance, one of the start-up's first investors.",
                field="kind",
            ),
        ],
    },
    {
        "slug": "mgx",
        "name": "MGX",
        "kind": "investor",
        "country": "AE",
        "description": "Emirati investment fund.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Il fondo emiratino MGX",
                "The Emirati fund MGX",
                field="country",
            ),
        ],
    },
]


# Roles carry no dates: neither article says when they began.

ROLES = [
    {
        "person": "arthur-mensch",
        "company": "mistral-ai",
        "title": "Co-founder and CEO",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "ha dichiarato Arthur Mensch, cofondatore e CEO di Mistral.",
                "said Arthur Mensch, co-founder and CEO of Mistral.",
                field="title",
            ),
        ],
    },
    {
        "person": "nicolas-dufourcq",
        "company": "bpifrance",
        "title": "CEO",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "ha dichiarato Nicolas Dufourcq, CEO di Bpifrance",
                "said Nicolas Dufourcq, CEO of Bpifrance",
                field="title",
            ),
        ],
    },
]


# Products. No launch dates: the articles call Le Chat new but date neither its launch
# nor any other product's.

PRODUCTS = [
    {
        "slug": "le-chat",
        "name": "Le Chat",
        "company": "mistral-ai",
        "kind": "assistant_app",
        "audience": "consumers_and_businesses",
        "platforms": ["ios", "android"],
        "description": "Mistral AI's AI assistant app.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Uno degli elementi chiave della strategia di Mistral è il suo nuovo "
                "assistente AI, Le Chat, disponibile su iOS e Android e progettato sia per "
                "gli utenti consumer che per le aziende.",
                "One of the key elements of Mistral's strategy is its new AI assistant, "
                "Le Chat, available on iOS and Android and designed both for consumers and "
                "for businesses.",
            ),
            Quote(
                FR,
                "Le Chat, l’assistant AI développé par Mistral",
                "Le Chat, the AI assistant developed by Mistral",
                field="company",
            ),
        ],
    },
    {
        "slug": "chatgpt",
        "name": "ChatGPT",
        "company": "openai",
        "kind": "assistant_app",
        "description": "OpenAI's chatbot.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "ChatGPT di OpenAI",
                "OpenAI's ChatGPT",
                field="company",
            ),
            Quote(
                FR,
                "plutôt que ChatGPT d’OpenAI",
                "rather than OpenAI's ChatGPT",
                field="company",
            ),
        ],
    },
    {
        "slug": "gemini",
        "name": "Gemini",
        "company": "google",
        "kind": "assistant_app",
        "description": "Google's AI assistant.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                FR,
                "Des entreprises comme Google et Microsoft sont déjà bien implantées dans le "
                "domaine des assistants AI avec des produits comme Gemini et Copilot.",
                "Companies such as Google and Microsoft are already well established in AI "
                "assistants, with products such as Gemini and Copilot.",
            ),
        ],
    },
    {
        "slug": "copilot",
        "name": "Copilot",
        "company": "microsoft",
        "kind": "assistant_app",
        "description": "Microsoft's AI assistant.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                FR,
                "Des entreprises comme Google et Microsoft sont déjà bien implantées dans le "
                "domaine des assistants AI avec des produits comme Gemini et Copilot.",
                "Companies such as Google and Microsoft are already well established in AI "
                "assistants, with products such as Gemini and Copilot.",
            ),
        ],
    },
    {
        "slug": "deepseek-app",
        "name": "DeepSeek app",
        "company": "deepseek",
        "kind": "assistant_app",
        "description": "DeepSeek's mobile app.",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                FR,
                "l’application mobile de DeepSeek",
                "DeepSeek's mobile app",
                field="company",
            ),
        ],
    },
]


# Events. The summit comes first: the endorsement names it as the event it was part of.

EVENTS = [
    {
        "title": "AI Action Summit",
        "kind": "summit",
        "summary": "The Artificial Intelligence Action Summit in Paris.",
        "occurred_on": date(2025, 2, 1),
        "occurred_precision": "month",
        "place": "Paris",
        "country": "FR",
        "companies": ["mistral-ai"],
        "people": ["emmanuel-macron"],
        "status": "verified",
        "confidence": "high",
        "note": (
            "Dated to the month only: the Italian article of 11 Feb 2025 speaks of the summit "
            "as under way and the French one (Feb 2025) as recent; neither gives its days."
        ),
        "quotes": [
            Quote(
                IT,
                "Mistral si rilancia all’AI Action Summit di Parigi (grazie a Macron)",
                "Mistral relaunches itself at the AI Action Summit in Paris (thanks to Macron)",
                field="title",
            ),
            Quote(
                IT,
                "Come riportato da TechCrunch, il summit di Parigi è anche l’occasione "
                "perfetta per Mistral per ribaltare la sua narrativa.",
                "As TechCrunch reported, the Paris summit is also the perfect opportunity for "
                "Mistral to turn its narrative around.",
                field="occurred_on",
            ),
            Quote(
                FR,
                "Lors du récent sommet sur l’IA à Paris",
                "At the recent AI summit in Paris",
                field="place",
            ),
        ],
    },
    {
        "title": "Emmanuel Macron urges people in France to download Le Chat instead of ChatGPT",
        "kind": "endorsement",
        "summary": (
            "In a television interview during the AI Action Summit in Paris, President "
            "Emmanuel Macron urged people in France to download Mistral AI's Le Chat rather "
            "than OpenAI's ChatGPT, as a way to support a European, French champion."
        ),
        "occurred_on": date(2025, 2, 1),
        "occurred_precision": "month",
        "part_of": "AI Action Summit",
        "companies": ["mistral-ai", "openai"],
        "products": ["le-chat", "chatgpt"],
        "people": ["emmanuel-macron"],
        "status": "verified",
        "confidence": "high",
        "note": (
            "The French article places the endorsement at the summit; neither article gives "
            "the day of the interview, so it carries the summit's month. Where the interview "
            "was recorded is not said: place and country are left to the summit."
        ),
        "quotes": [
            Quote(
                IT,
                "Le Chat ha ricevuto un forte endorsement da parte del presidente francese "
                "Emmanuel Macron, che ha invitato i cittadini a scaricare questa app invece "
                "di ChatGPT di OpenAI.",
                "Le Chat received a strong endorsement from French president Emmanuel Macron, "
                "who urged citizens to download this app instead of OpenAI's ChatGPT.",
            ),
            Quote(
                IT,
                "Quando la scaricate, aiutate un campione europeo, un campione francese. "
                "Create posti di lavoro qui, e allo stesso tempo li rafforzate. Ed è proprio "
                "questo il significato della sovranità",
                "When you download it, you help a European champion, a French champion. You "
                "create jobs here, and at the same time you strengthen them. And that is "
                "exactly what sovereignty means",
                said_by="emmanuel-macron",
            ),
            Quote(
                FR,
                "Lors du récent sommet sur l’IA à Paris, le président français Emmanuel "
                "Macron a apporté un soutien public à Le Chat.",
                "At the recent AI summit in Paris, French president Emmanuel Macron publicly "
                "backed Le Chat.",
                field="part_of",
            ),
            Quote(
                FR,
                "Dans une interview télévisée, il a encouragé les Français à privilégier "
                "l’application de Mistral plutôt que ChatGPT d’OpenAI ou d’autres "
                "alternatives.",
                "In a television interview, he encouraged the French to choose Mistral's app "
                "over OpenAI's ChatGPT or other alternatives.",
                field="summary",
            ),
        ],
    },
    {
        "title": "Arthur Mensch: Mistral AI now builds solutions for businesses",
        "kind": "interview",
        "summary": (
            "Arthur Mensch says Mistral AI is no longer only a science company building "
            "powerful models but offers solutions to businesses, builds custom applications "
            "and brings knowledge and productivity to workers."
        ),
        "companies": ["mistral-ai"],
        "people": ["arthur-mensch"],
        "status": "verified",
        "confidence": "medium",
        "note": "Undated: the Italian article (11 Feb 2025) does not say when he said it.",
        "quotes": [
            Quote(
                IT,
                "Abbiamo smesso di essere una semplice azienda scientifica focalizzata sulla "
                "creazione dei modelli potenti e siamo diventati una realtà che offre "
                "soluzioni per le imprese, sviluppa applicazioni su misura e porta conoscenza "
                "e produttività ai lavoratori",
                "We have stopped being just a science company focused on building powerful "
                "models and have become a company that offers solutions to businesses, "
                "develops custom applications and brings knowledge and productivity to "
                "workers",
                said_by="arthur-mensch",
            ),
        ],
    },
    {
        "title": "Nicolas Dufourcq: everyone must work with Mistral AI",
        "kind": "interview",
        "summary": (
            "Nicolas Dufourcq, CEO of Bpifrance, calls Mistral AI Europe's great opportunity, "
            "one it gets only one chance at."
        ),
        "companies": ["bpifrance", "mistral-ai"],
        "people": ["nicolas-dufourcq"],
        "status": "verified",
        "confidence": "medium",
        "note": "Undated: the Italian article (11 Feb 2025) does not say when he said it.",
        "quotes": [
            Quote(
                IT,
                "Mistral è la grande opportunità per l’Europa, e abbiamo solo una "
                "possibilità. Tutti devono lavorare con Mistral",
                "Mistral is Europe's great opportunity, and we only have one chance. Everyone "
                "must work with Mistral",
                said_by="nicolas-dufourcq",
            ),
        ],
    },
    {
        "title": "Le Chat launches on iOS and Android",
        "kind": "launch",
        "summary": "Mistral AI releases Le Chat as a mobile app for iOS and Android.",
        "companies": ["mistral-ai"],
        "products": ["le-chat"],
        "status": "unverified",
        "confidence": "medium",
        "note": (
            "Both articles speak of the app as new, and the French one of its first 14 days, "
            "but neither dates its launch. Recorded for the window of Le Chat's downloads; "
            "it awaits a source that dates it."
        ),
        "quotes": [],
        "recorded": Later(
            datetime(2025, 2, 20, 14, 30, tzinfo=UTC),
            "Le Chat's launch, which its 14-day downloads count from: awaiting a source",
        ),
    },
    {
        "title": "Mistral AI plans a data centre in Essonne",
        "kind": "plan",
        "summary": (
            "Mistral AI announced an investment of billions of euros to build a data centre "
            "in Essonne, France, to train more advanced AI models. How it will be financed "
            "(a new funding round or strategic partnerships) was not yet known."
        ),
        "place": "Essonne",
        "country": "FR",
        "companies": ["mistral-ai"],
        "status": "verified",
        "confidence": "high",
        "note": (
            "Undated: the Italian article (11 Feb 2025) reports the announcement without "
            "saying when it was made. The amount is in the planned-investment metric."
        ),
        "quotes": [
            Quote(
                IT,
                "Per rafforzare la propria indipendenza, Mistral ha annunciato un "
                "investimento da miliardi di euro per costruire un data center in Francia, "
                "che sorgerà in Essonne e permetterà all’azienda di addestrare modelli AI più "
                "avanzati.",
                "To strengthen its independence, Mistral announced an investment of billions "
                "of euros to build a data centre in France, which will stand in Essonne and "
                "let the company train more advanced AI models.",
                field="place",
            ),
            Quote(
                IT,
                "Resta però da capire se questo progetto verrà finanziato con un nuovo round "
                "di investimenti o attraverso partnership strategiche.",
                "It remains to be seen, however, whether this project will be financed through "
                "a new investment round or through strategic partnerships.",
                field="summary",
            ),
        ],
    },
]


# Partnerships. Mistral AI provides the AI in each; no article dates an announcement.

PARTNERSHIPS = [
    {
        "title": "Mistral AI – France Travail: job search",
        "kind": "public_sector",
        "stage": "active",
        "summary": (
            "France Travail, the national employment agency, uses Mistral AI's technology to "
            "make it easier to search for and reach job offers."
        ),
        "parties": [("mistral-ai", "provider"), ("france-travail", "customer")],
        "status": "verified",
        "confidence": "high",
        "note": "Active: Mensch says France Travail now uses the technology.",
        "quotes": [
            Quote(
                IT,
                "Abbiamo stretto una partnership con France Travail, l’agenzia nazionale per "
                "l’impiego, che ora utilizza le nostre tecnologie per facilitare la ricerca e "
                "l’accesso alle offerte di lavoro",
                "We have entered a partnership with France Travail, the national employment "
                "agency, which now uses our technology to make it easier to search for and "
                "access job offers",
                said_by="arthur-mensch",
            ),
        ],
    },
    {
        "title": "Mistral AI – Veolia: waste-water treatment plants",
        "kind": "commercial",
        "stage": "active",
        "summary": (
            "Veolia uses Mistral AI's models to optimise the management of its waste-water "
            "treatment plants."
        ),
        "parties": [("mistral-ai", "provider"), ("veolia", "customer")],
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Un’altra collaborazione di rilievo è quella con Veolia, che sta impiegando i "
                "modelli AI di Mistral per ottimizzare la gestione degli impianti di "
                "trattamento delle acque reflue.",
                "Another notable collaboration is with Veolia, which is using Mistral's AI "
                "models to optimise the management of waste-water treatment plants.",
            ),
        ],
    },
    {
        "title": "Mistral AI – Stellantis: assistant replacing the owner's manual",
        "kind": "commercial",
        "stage": "announced",
        "summary": (
            "Stellantis announced an agreement with Mistral AI: by the end of the year its "
            "mobile app will get an AI assistant that replaces the traditional owner's manual."
        ),
        "starts_on": date(2025, 1, 1),
        "starts_precision": "year",
        "starts_expected": True,
        "parties": [("mistral-ai", "provider"), ("stellantis", "customer")],
        "status": "verified",
        "confidence": "high",
        "note": (
            "“Entro la fine dell’anno” (by the end of the year) in an article of 11 Feb 2025: "
            "the assistant is expected in 2025, at the latest at its end. Recorded as an "
            "expected start in 2025 at year precision; no closer date is given."
        ),
        "quotes": [
            Quote(
                IT,
                "Ma il vero fiore all’occhiello è la collaborazione con Stellantis, il colosso "
                "automobilistico che controlla Peugeot, Citroën, Fiat e Jeep, che ha "
                "annunciato un accordo con Mistral.",
                "But the real flagship is the collaboration with Stellantis, the car-making "
                "giant that controls Peugeot, Citroën, Fiat and Jeep, which has announced an "
                "agreement with Mistral.",
                field="stage",
            ),
            Quote(
                IT,
                "Entro la fine dell’anno, la sua app mobile sarà aggiornata con un assistente "
                "AI che sostituirà il tradizionale manuale del proprietario.",
                "By the end of the year, its mobile app will be updated with an AI assistant "
                "that will replace the traditional owner's manual.",
                field="starts_on",
            ),
        ],
    },
    {
        "title": "Mistral AI – Helsing: defence AI models",
        "kind": "defence",
        "stage": "active",
        "summary": (
            "Mistral AI is developing vision-language-action models for Helsing, for attack "
            "drones and for electronic components of fighter jets."
        ),
        "parties": [("mistral-ai", "provider"), ("helsing", "partner")],
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Mistral, infine, sta lavorando con Helsing, un’azienda europea specializzata "
                "in tecnologie per la difesa.",
                "Finally, Mistral is working with Helsing, a European company specialising in "
                "defence technology.",
            ),
            Quote(
                IT,
                "In questo caso, la startup francese sta sviluppando modelli "
                "Vision-Language-Action destinati a droni d’attacco e componenti elettroniche "
                "per caccia militari.",
                "In this case, the French start-up is developing Vision-Language-Action models "
                "for attack drones and electronic components for military fighter jets.",
                field="summary",
            ),
        ],
    },
]


# Investments. The round is unknown in both, so there is none.

INVESTMENTS = [
    {
        "investor": "bpifrance",
        "company": "mistral-ai",
        "description": "one of the first investors",
        "status": "verified",
        "confidence": "high",
        "quotes": [
            Quote(
                IT,
                "Nicolas Dufourcq, CEO di Bpifrance, uno dei primi investitori della startup.",
                "Nicolas Dufourcq, CEO of Bpifrance, one of the start-up's first investors.",
                field="description",
            ),
        ],
    },
    {
        "investor": "mgx",
        "company": "mistral-ai",
        "description": "possible source of funding (the article's speculation)",
        "claim_type": "speculation",
        "status": "unverified",
        "confidence": "low",
        "note": (
            "The article only wonders whether Mistral could turn to the Middle East for "
            "money and points to the Emirati fund MGX as a sign that it could; it reports "
            "no deal, amount or talks."
        ),
        "quotes": [
            Quote(
                IT,
                "Il Medio Oriente potrebbe diventare una fonte di finanziamento strategica per "
                "la startup francese. Il fondo emiratino MGX, è lì a dimostrarlo.",
                "The Middle East could become a strategic source of funding for the French "
                "start-up. The Emirati fund MGX is there to prove it.",
            ),
        ],
    },
]


# Metrics.

FEB_2025 = {"period_start": date(2025, 2, 1), "period_precision": "month"}

# The ranks abroad continue the comparison the paragraph opens with iOS in France.
LE_CHAT_RANKS_CONTEXT = Quote(
    IT,
    "Le Chat è rapidamente diventata l’app più scaricata su iOS in Francia, ma la sua "
    "espansione al di fuori dei confini nazionali resta una sfida.",
    "Le Chat quickly became the most downloaded app on iOS in France, but its expansion "
    "beyond the country's borders remains a challenge.",
    field="platform",
)
NOT_IN_TOP_100 = Quote(
    IT,
    "mentre in da noi, in Spagna e Regno Unito non compare nemmeno tra le prime 100 "
    "applicazioni più scaricate.",
    "while here [in Italy], in Spain and the United Kingdom it does not even appear among "
    "the top 100 most downloaded apps.",
    field="value",
)
NOT_IN_TOP_100_NOTE = (
    "“Non compare nemmeno tra le prime 100”: not in the top 100, recorded as rank 101 or "
    "lower. iOS, as the paragraph compares iOS ranks, opening with France. Dated to the "
    "article's month; the day of the ranking is not given."
)


def not_in_top_100(region: str, note: str) -> dict:
    return {
        "metric_type": "app-store-rank",
        "product": "le-chat",
        "value": 101,
        "qualifier": "at_least",
        "region": region,
        "platform": "ios",
        **FEB_2025,
        "status": "verified",
        "confidence": "medium",
        "note": note,
        "quotes": [NOT_IN_TOP_100, LE_CHAT_RANKS_CONTEXT],
    }


def le_chat_in_germany(rank: int, **values) -> dict:
    return {
        "metric_type": "app-store-rank",
        "product": "le-chat",
        "value": rank,
        "qualifier": "exact",
        "region": "DE",
        "platform": "ios",
        **FEB_2025,
        "confidence": "medium",
        "note": (
            "The sentence gives no platform; iOS, as the paragraph compares iOS ranks, "
            "opening with France. Dated to the article's month; the day is not given."
        ),
        "quotes": [
            Quote(
                IT,
                "In Germania è solo al 66° posto",
                "In Germany it is only in 66th place",
                field="value",
            ),
            LE_CHAT_RANKS_CONTEXT,
        ],
        **values,
    }


METRICS = [
    {
        "metric_type": "total-funding",
        "company": "mistral-ai",
        "value": 1_000_000_000,
        "qualifier": "at_least",
        "currency": "USD",
        "status": "verified",
        "confidence": "high",
        "note": (
            "“Oltre un miliardo di dollari”: more than a billion dollars, read as US dollars. "
            "The article gives no date for the total, only that it was raised early on."
        ),
        "quotes": [
            Quote(
                IT,
                "Mistral è riuscita inizialmente a raccogliere oltre un miliardo di dollari "
                "grazie all’interesse per l’intelligenza artificiale generativa e al suo "
                "approccio open-source.",
                "Mistral initially managed to raise more than a billion dollars thanks to the "
                "interest in generative artificial intelligence and its open-source approach.",
                field="value",
            ),
        ],
    },
    {
        "metric_type": "app-store-rank",
        "product": "le-chat",
        "value": 1,
        "qualifier": "exact",
        "region": "FR",
        "platform": "ios",
        **FEB_2025,
        "status": "verified",
        "confidence": "high",
        "note": (
            "Both articles: the most downloaded app on iOS in France; the French one says "
            "top of the free downloads on the App Store. Dated to the articles' month."
        ),
        "quotes": [
            Quote(
                IT,
                "Le Chat è rapidamente diventata l’app più scaricata su iOS in Francia",
                "Le Chat quickly became the most downloaded app on iOS in France",
                field="value",
            ),
            Quote(
                FR,
                "il a permis à l’application de se hisser en tête des téléchargements "
                "gratuits sur l’App Store d’iOS en France",
                "it let the app climb to the top of the free downloads on the iOS App Store "
                "in France",
                field="value",
            ),
        ],
    },
    # Typed as 6 on the first reading, a digit dropped, and marked verified: the claim of
    # 66 recorded on 3 March stands against it, the open conflict an editor resolves.
    le_chat_in_germany(6, status="verified"),
    not_in_top_100(
        "IT",
        NOT_IN_TOP_100_NOTE + " Italy: “da noi” (here, at home) on an Italian-language site.",
    ),
    not_in_top_100("ES", NOT_IN_TOP_100_NOTE)
    | {
        "deleted": Later(
            datetime(2025, 2, 14, 16, 40, tzinfo=UTC),
            "Duplicate of Le Chat's rank in Italy: the same sentence, the same rank",
        )
    },
    not_in_top_100("GB", NOT_IN_TOP_100_NOTE),
    {
        "metric_type": "downloads",
        "product": "le-chat",
        "value": 1_000_000,
        "qualifier": "at_least",
        "window_days": 14,
        "window_anchor": "launch",
        "status": "verified",
        "confidence": "high",
        "note": "No region or platform given: all downloads of the app.",
        "quotes": [
            Quote(
                FR,
                "En à peine 14 jours, l’application a atteint plus d’un million de "
                "téléchargements.",
                "In barely 14 days, the app passed one million downloads.",
                field="value",
            ),
            Quote(
                FR,
                "En seulement deux semaines, l’application Le Chat de Mistral a atteint un "
                "million de téléchargements",
                "In just two weeks, Mistral's Le Chat app reached one million downloads",
                field="window_days",
            ),
        ],
    },
    {
        "metric_type": "revenue-target",
        "company": "mistral-ai",
        "claim_type": "target",
        "value": 500_000_000,
        "qualifier": "exact",
        "currency": "EUR",
        "period_start": date(2025, 1, 1),
        "period_precision": "year",
        "status": "verified",
        "confidence": "medium",
        "note": "The target as stated: 500 million euros of revenue in 2025.",
        # The dollars of the total funding above, carried over on the first reading.
        "typed_first": {"currency": "USD"},
        "corrected": Later(
            datetime(2025, 2, 13, 8, 15, tzinfo=UTC),
            "“500 milioni di euro”: the target is in euros, not dollars",
        ),
        "quotes": [
            Quote(
                IT,
                "L’obiettivo? Raggiungere 500 milioni di euro di ricavi nel 2025",
                "The goal? To reach 500 million euros of revenue in 2025",
                field="value",
            ),
        ],
    },
    {
        "metric_type": "revenue",
        "company": "mistral-ai",
        "value": 10_000_000,
        "value_high": 99_999_999,
        "qualifier": "range",
        "currency": "EUR",
        "period_start": date(2024, 1, 1),
        "period_precision": "year",
        "status": "verified",
        "confidence": "medium",
        "note": (
            "“Poche decine di milioni di euro” (a few tens of millions of euros): recorded as "
            "the widest honest reading, from ten million to just under a hundred million; "
            "“poche” (a few) points to the lower part of that range."
        ),
        "quotes": [
            Quote(
                IT,
                "nel 2024 il fatturato si è fermato a poche decine di milioni di euro.",
                "in 2024 revenue stopped at a few tens of millions of euros.",
                field="value",
            ),
        ],
    },
    {
        "metric_type": "planned-investment",
        "company": "mistral-ai",
        "claim_type": "target",
        "value": 1_000_000_000,
        "qualifier": "at_least",
        "currency": "EUR",
        "region": "FR",
        "status": "verified",
        "confidence": "medium",
        "note": (
            "“Un investimento da miliardi di euro” (an investment of billions of euros) gives "
            "no figure. The plural means more than one billion, so one billion is a safe "
            "lower bound and nothing more. For the Essonne data centre (see the plan event)."
        ),
        "quotes": [
            Quote(
                IT,
                "Mistral ha annunciato un investimento da miliardi di euro per costruire un "
                "data center in Francia",
                "Mistral announced an investment of billions of euros to build a data centre "
                "in France",
                field="value",
            ),
        ],
    },
    {
        "metric_type": "downloads",
        "product": "chatgpt",
        "value": 500_000,
        "qualifier": "at_least",
        "period_start": date(2023, 11, 1),
        "period_precision": "month",
        "window_days": 6,
        "window_anchor": "launch",
        "region": "US",
        "platform": "ios",
        "status": "disputed",
        "confidence": "low",
        "note": (
            "Recorded as the French article states it, dated November 2023. The date is "
            "doubtful: ChatGPT's iOS app launched in the United States in May 2023, and the "
            "figure of half a million downloads in its first six days was reported then, so "
            "the six days fall in May 2023, not November."
        ),
        "quotes": [
            Quote(
                FR,
                "En novembre 2023, OpenAI a vu son chatbot ChatGPT atteindre 500.000 "
                "téléchargements en seulement six jours, malgré une disponibilité initiale "
                "restreinte aux utilisateurs iOS aux États-Unis.",
                "In November 2023, OpenAI saw its chatbot ChatGPT reach 500,000 downloads in "
                "just six days, despite initial availability limited to iOS users in the "
                "United States.",
                field="period_start",
            ),
        ],
    },
    {
        "metric_type": "downloads",
        "product": "chatgpt",
        "value": 350_000_000,
        "qualifier": "at_least",
        **FEB_2025,
        "status": "verified",
        "confidence": "medium",
        "note": (
            "“Aujourd’hui” (today) in an article of February 2025. No region or platform "
            "given, so none is recorded."
        ),
        "quotes": [
            Quote(
                FR,
                "Aujourd’hui, ChatGPT compte plus de 350 millions de téléchargements.",
                "Today, ChatGPT has more than 350 million downloads.",
                field="value",
            ),
        ],
    },
    {
        "metric_type": "downloads",
        "product": "deepseek-app",
        "value": 1_000_000,
        "qualifier": "at_least",
        "period_start": date(2025, 1, 10),
        "period_end": date(2025, 1, 31),
        "period_precision": "day",
        "status": "verified",
        "confidence": "medium",
        "note": "Passed one million downloads in the period; no region or platform given.",
        "quotes": [
            Quote(
                FR,
                "De même, l’application mobile de DeepSeek a franchi le cap du million de "
                "téléchargements entre le 10 et le 31 janvier 2025.",
                "Likewise, DeepSeek's mobile app passed the one-million-download mark between "
                "10 and 31 January 2025.",
                field="value",
            ),
        ],
    },
    le_chat_in_germany(
        66,
        status="unverified",
        recorded=Later(
            datetime(2025, 3, 3, 10, 0, tzinfo=UTC),
            "Germany is 66th in the article: the claim of 6 is left for review",
        ),
    ),
]
