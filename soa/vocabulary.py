"""The words SoA workbooks use for their columns and values, in English, Dutch, French and
German. Every word is compared after `normalise`, so case, accents, stray spaces,
punctuation and dashes never matter. A word not listed here is asked about, never guessed.
"""

import re
import unicodedata
from functools import lru_cache

# The fields a column can hold, as the command line and the mapping step name them.
FIELDS = ("id", "title", "applicability", "reasons", "legal", "contractual", "business",
          "risk", "justification", "inclusion_justification", "exclusion_justification",
          "status", "owner", "responsibility", "company_part", "aws_part", "risk_refs", "notes")
REASON_FIELDS = ("legal", "contractual", "business", "risk")
FIELD_LABELS = {
    "id": "Control id", "title": "Control title", "applicability": "Applicable",
    "reasons": "Inclusion reasons", "legal": "Reason: legal / regulatory",
    "contractual": "Reason: contractual", "business": "Reason: business / best practice",
    "risk": "Reason: risk", "justification": "Justification (inclusion or exclusion)",
    "inclusion_justification": "Justification for inclusion",
    "exclusion_justification": "Justification for exclusion",
    "status": "Implementation status", "owner": "Owner", "responsibility": "Responsibility",
    "company_part": "Company part", "aws_part": "AWS part", "risk_refs": "Risk refs",
    "notes": "Notes / evidence references",
}
# What a user may say an unknown word in a column of each field means.
FIELD_VALUES = {
    "applicability": ("applicable", "excluded"),
    "status": ("not_started", "planned", "partial", "implemented", "none"),
    "responsibility": ("company", "aws", "shared"),
    "reasons": REASON_FIELDS,
    **{reason: ("yes", "no") for reason in REASON_FIELDS},
}
VALUE_LABELS = {"applicable": "Applicable", "excluded": "Not applicable",
                "not_started": "Not started", "planned": "Planned", "partial": "Partial",
                "implemented": "Implemented", "none": "No status (not applicable)",
                "company": "Company", "aws": "AWS", "shared": "Shared", "yes": "Yes",
                "no": "No", "legal": "Legal", "contractual": "Contractual",
                "business": "Business", "risk": "Risk"}

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "ß": "ss", "\u2019": "'"})


def normalise(text) -> str:
    """Fold case, accents, punctuation, dashes and spaces out of a header or a word."""
    return _normalise(str(text or ""))


@lru_cache(maxsize=8192)  # a workbook repeats the same few words thousands of times
def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w#✓✔]+", " ", text.replace("_", " "))
    return re.sub(r"\s+", " ", text).strip()


def _lookup(groups: dict[str, str]) -> dict[str, str]:
    """Turn {value: "word | word | ..."} into {normalised word: value}."""
    table = {}
    for value, words in groups.items():
        for word in words.split("|"):
            table[normalise(word)] = value
    return table


HEADERS = _lookup({
    "id": "id | control id | control ref | control reference | ref | reference | no | nr | "
          "number | control no | control number | annex a | annex a ref | annex a reference | "
          "annex a control id | annex a id | iso ref | iso 27001 ref | iso reference | # | "
          "control # | ctrl id | nummer | referentie | maatregel nr | id maatregel | "
          "référence | réf | numéro | n° | id mesure | referenz | kennung | maßnahme nr | "
          "control id iso 27001",
    "title": "control | control title | title | control name | name | control description | "
             "annex a control | annex a control title | description | maatregel | "
             "beheersmaatregel | titel | naam | omschrijving | beschrijving | mesure | "
             "mesure de sécurité | titre | intitulé | libellé | nom | maßnahme | bezeichnung | "
             "beschreibung | kontrolle | maßnahmentitel | titel maatregel | titre de la mesure",
    "applicability": "applicable | applicability | applicable? | included | in scope | "
                     "selected | applies | inclusion | applicable yes no | applicable y n | "
                     "included in soa | selected yes no | van toepassing | toepasbaar | "
                     "toepasselijk | toepasselijkheid | opgenomen | geselecteerd | "
                     "van toepassing ja nee | applicabilité | retenue | retenu | inclus | "
                     "sélectionné | applicable oui non | anwendbar | anwendbarkeit | zutreffend "
                     "| ausgewählt | einbezogen | anwendbar ja nein",
    "reasons": "inclusion reasons | inclusion reason | reasons | reason | reason for inclusion | "
               "reasons for inclusion | reason for selection | reasons for selection | "
               "selection reasons | basis for inclusion | reden | redenen | reden voor opname | "
               "reden van opname | reden voor selectie | raison | raisons | "
               "raison de l'inclusion | motif d'inclusion | raisons de sélection | "
               "raisons de l'inclusion | grund | gründe | grund für die aufnahme | "
               "auswahlgrund | gründe für die aufnahme",
    "legal": "legal | legal requirement | legal requirements | legal regulatory | "
             "legal or regulatory | legal regulatory requirement | legal and regulatory | "
             "regulatory | lr | laws and regulations | statutory | wettelijk | "
             "wet en regelgeving | wettelijke eisen | légal | exigence légale | "
             "légal réglementaire | réglementaire | gesetzlich | rechtlich | "
             "gesetzliche anforderungen | regulatorisch",
    "contractual": "contractual | contractual obligation | contractual obligations | "
                   "contractual requirement | contractual requirements | co | contract | "
                   "contractueel | contractuele verplichting | contractuel | "
                   "obligation contractuelle | vertraglich | vertragliche verpflichtung",
    "business": "business | business requirement | business requirements | best practice | "
                "business requirement best practice | business requirements best practice | "
                "business best practice | br | bp | br bp | bedrijfsbehoefte | "
                "bedrijfsvereiste | zakelijk | métier | exigence métier | bonne pratique | "
                "besoin métier | geschäftlich | geschäftsanforderung | "
                "geschäftliche anforderung",
    "risk": "risk | risk assessment | risk treatment | results of risk assessment | rra | ra | "
            "risk assessment result | risico | risicoanalyse | risicobeoordeling | risque | "
            "analyse de risque | appréciation des risques | traitement des risques | risiko | "
            "risikobewertung | risikobehandlung | risikoanalyse",
    "justification": "justification | justification for inclusion exclusion | "
                     "justification for inclusion or exclusion | justification inclusion "
                     "exclusion | reason for inclusion exclusion | rationale | "
                     "justification for inclusion and exclusion | rechtvaardiging | motivatie "
                     "| onderbouwing | rechtvaardiging opname uitsluiting | "
                     "reden opname uitsluiting | motivation | justificatif | "
                     "justification de l'inclusion exclusion | justification inclusion "
                     "ou exclusion | begründung | rechtfertigung | begründung aufnahme "
                     "ausschluss | begründung für aufnahme ausschluss | "
                     "begründung einbeziehung ausschluss",
    "inclusion_justification": "justification for inclusion | inclusion justification | "
                               "justification inclusion | justification included | "
                               "rechtvaardiging opname | rechtvaardiging voor opname | "
                               "justification d'inclusion | justification de l'inclusion | "
                               "begründung aufnahme | begründung für die aufnahme | "
                               "begründung einbeziehung",
    "exclusion_justification": "justification for exclusion | exclusion justification | "
                               "reason for exclusion | exclusion reason | justification "
                               "exclusion | justification excluded | reason not applicable | "
                               "justification for non applicability | "
                               "rechtvaardiging uitsluiting | reden uitsluiting | "
                               "reden niet van toepassing | justification d'exclusion | "
                               "justification de l'exclusion | raison de l'exclusion | "
                               "motif d'exclusion | begründung ausschluss | "
                               "begründung für ausschluss | ausschlussgrund",
    "status": "implementation status | status | implemented | implemented? | implementation "
              "| current status | implementation state | status of implementation | "
              "implementatiestatus | status implementatie | geïmplementeerd | "
              "stand van zaken | implementatie | statut | état | statut de mise en œuvre | "
              "état de mise en œuvre | mise en œuvre | état d'implémentation | "
              "umsetzungsstatus | umsetzung | stand der umsetzung | implementierungsstatus | "
              "umgesetzt",
    "owner": "owner | control owner | owner name | responsible person | accountable | "
             "assigned to | owned by | eigenaar | verantwoordelijke | maatregeleigenaar | "
             "propriétaire | responsable | porteur | verantwortlich | verantwortlicher | "
             "eigentümer | zuständig | maßnahmenverantwortlicher",
    "responsibility": "responsibility | responsible party | shared responsibility | "
                      "operated by | verantwoordelijkheid | responsabilité | "
                      "verantwortlichkeit",
    "company_part": "company part | company responsibility | customer part | "
                    "customer responsibility | our part | deel bedrijf | part de l'entreprise "
                    "| anteil unternehmen",
    "aws_part": "aws part | aws responsibility | provider part | provider responsibility | "
                "cloud provider part | deel aws | part aws | anteil aws",
    "risk_refs": "risk refs | risks | risk ids | linked risks | risk references | risk ref | "
                 "risk id | related risks | risico's | risicoverwijzingen | "
                 "gerelateerde risico's | risques | références risques | risques liés | "
                 "risiken | risiko referenzen | verknüpfte risiken",
    "notes": "notes | note | remarks | comments | comment | evidence | evidence notes | "
             "evidence / notes | evidence reference | evidence references | evidence ref | "
             "documentation | document reference | reference documents | supporting documents "
             "| how implemented | implementation notes | implementation details | "
             "implementation description | additional information | opmerkingen | opmerking | "
             "bewijs | bewijsmateriaal | toelichting | documentatie | referentie document | "
             "notities | remarques | commentaires | commentaire | preuve | preuves | "
             "éléments de preuve | référence documentaire | bemerkungen | anmerkungen | "
             "kommentar | nachweis | nachweise | dokumentation | notizen | referenzdokument",
    # Columns our own export writes for reading, not for importing: known, and ignored.
    "": "clause | theme | source | section | category | domain | group | evidence count | "
        "evidence status | last review | next review | thema | thème | domaine | kategorie | "
        "hoofdstuk | chapitre | kapitel",
})

YES_NO = _lookup({
    "yes": "yes | y | x | ✓ | ✔ | true | 1 | applicable | included | include | in scope | "
           "selected | ja | j | oui | o | van toepassing | opgenomen | inclus | retenu | "
           "retenue | anwendbar | zutreffend | ausgewählt",
    "no": "no | n | not applicable | n/a | na | excluded | exclude | out of scope | false | 0 | "
          "not selected | nee | neen | niet van toepassing | uitgesloten | non | "
          "non applicable | pas applicable | exclu | exclue | nein | nicht anwendbar | "
          "ausgeschlossen | nicht zutreffend",
})
STATUS = _lookup({
    "implemented": "implemented | fully implemented | done | implemented documented | "
                   "implemented and documented | in place | operational | complete | completed "
                   "| geïmplementeerd | volledig geïmplementeerd | mis en œuvre | implémenté | "
                   "en place | umgesetzt | implementiert | vollständig umgesetzt",
    "partial": "partial | partially implemented | partially | in progress | ongoing | "
               "being implemented | implemented not documented | gedeeltelijk | "
               "gedeeltelijk geïmplementeerd | in uitvoering | partiellement | "
               "partiellement mis en œuvre | en cours | teilweise | teilweise umgesetzt | "
               "in umsetzung | in bearbeitung",
    "planned": "planned | scheduled | to do | todo | gepland | planifié | prévu | geplant",
    "not_started": "not started | not implemented | open | not assessed | gap | "
                   "gap not addressed | not addressed | missing | niet geïmplementeerd | "
                   "niet gestart | non mis en œuvre | non implémenté | non démarré | "
                   "nicht umgesetzt | nicht implementiert | nicht begonnen",
    "none": "n/a | na | not applicable | niet van toepassing | non applicable | "
            "nicht anwendbar",
})
REASONS = _lookup({
    "legal": "legal | law | regulatory | legal requirement | lr | statutory | wettelijk | "
             "wetgeving | légal | réglementaire | loi | gesetzlich | rechtlich | gesetz",
    "contractual": "contractual | contract | contractual obligation | co | contractueel | "
                   "contract | contractuel | vertraglich | vertrag",
    "business": "business | business requirement | best practice | br | bp | bedrijf | "
                "bedrijfsbehoefte | zakelijk | métier | bonne pratique | geschäftlich | "
                "geschäftsanforderung",
    "risk": "risk | risk treatment | risk assessment | rra | ra | risico | risicoanalyse | "
            "risque | analyse de risque | risiko | risikoanalyse | risikobewertung",
})
RESPONSIBILITY = _lookup({
    "company": "company | customer | us | internal | we | own | bedrijf | intern | wij | "
               "entreprise | interne | nous | unternehmen",
    "aws": "aws | provider | cloud provider | supplier | vendor | leverancier | fournisseur | "
           "anbieter | lieferant",
    "shared": "shared | both | gedeeld | beide | partagé | partagée | les deux | geteilt | "
              "gemeinsam",
})
VOCABULARIES = {"applicability": YES_NO, "status": STATUS, "responsibility": RESPONSIBILITY,
                "reasons": REASONS, **{r: YES_NO for r in REASON_FIELDS}}


def header_field(label: str) -> str | None:
    """The field a header names, "" for a known column that is not imported, None if unknown."""
    return HEADERS.get(normalise(label))
