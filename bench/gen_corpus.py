"""Generate a copy of the project with N synthetic sources shaped like the real article.

    python bench/gen_corpus.py N OUT [--parks K] [--seed S]

OUT receives a copy of the checkout's ontology, shapes, queries and data, plus, for each
synthetic source ``gen-NNNNN``:

- ``data/sources/gen-NNNNN.txt``: a short, clearly fictional news text;
- ``data/sources/gen-NNNNN.ttl``: the text's metadata stub (title, publisher, date, path,
  SHA-256), loaded into ``rbg:sources``, as ``rustbelt-kg add-source`` writes one;
- ``data/claims/gen-NNNNN/gen-NNNNN.trig``: its claims, one named graph each with a status,
  and their provenance in ``rbg:provenance`` (quote, prefix, suffix and offsets that anchor
  in the text, and ``oa:hasSource rb:text/gen-NNNNN``).

Each source reports on ``K`` incubator parks (default 3): where a park is (one of the three
real provinces, shared by every source), its number of start-ups (a quantity with a
qualifier), the province's funding for it (a monetary amount), a start-up born there, its
founder, and what the founder said (reported speech). The output is deterministic for a
given N, K and seed. The real article's claims stay as they are, so the stored queries'
expected results (``queries/*.srj``) no longer describe the copy: a build of it reports
those differences, and nothing else.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTEXT = 32  # characters of oa:prefix and oa:suffix (rustbelt_kg.provenance.CONTEXT)

PREFIXES = """\
@prefix claim: <https://w3id.org/rustbelt-kg/claim/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rb: <https://w3id.org/rustbelt-kg/id/> .
@prefix rbg: <https://w3id.org/rustbelt-kg/graph/> .
@prefix rbo: <https://w3id.org/rustbelt-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <https://w3id.org/rustbelt-kg/claim/> .
"""

#: The provinces every source shares: (IRI local name, label, its government's label).
PROVINCES = [
    ("heilongjiang", "Heilongjiang", "Heilongjiang provincial government"),
    ("jilin", "Jilin", "Jilin provincial government"),
    ("liaoning", "Liaoning", "Liaoning provincial government"),
]
CITIES = ["Harbin", "Changchun", "Shenyang", "Dalian", "Jilin City", "Daqing", "Anshan"]
#: Industries shared by every source: (IRI local name, label).
INDUSTRIES = [
    ("synthetic-robotics", "industrial robotics (fictional corpus)"),
    ("synthetic-materials", "new materials (fictional corpus)"),
    ("synthetic-software", "industrial software (fictional corpus)"),
    ("synthetic-medicine", "medical devices (fictional corpus)"),
]
SYLLABLES = ["an", "bei", "cheng", "da", "feng", "guo", "hai", "jin", "kang", "long",
             "ming", "ning", "ping", "qing", "rui", "shan", "tai", "wei", "xin", "yuan"]
SAYINGS = [
    "We moved here because the province helped us with rent and equipment",
    "Our engineers came from the old factories and know the machines well",
    "The first two years were hard, but the orders are growing now",
    "We want to sell our products in every province of the north-east",
]


def _name(rng: random.Random, words: int) -> str:
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize() for _ in range(words)
    )


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class Source:
    """One synthetic source: its text, built sentence by sentence, and its claims."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.text = ""
        self.claims: list[tuple[str, str, str, int, int]] = []  # id, body, status, start, end
        self.article = f"rb:{key}-article"
        self.headline = self.issued = ""

    def say(self, sentence: str, separator: str = " ") -> int:
        """Append ``sentence``; its start offset."""
        if self.text:
            self.text += separator
        start = len(self.text)
        self.text += sentence
        return start

    def claim(self, cid: str, body: str, start: int, end: int,
              status: str = "rbo:StatedByArticle") -> None:
        self.claims.append((cid, body, status, start, end))

    def stub(self, path: str, headline: str, issued: str) -> str:
        """The metadata of the text, as ``data/sources/NAME.ttl`` holds it (``rbg:sources``)."""
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        return (
            f"{PREFIXES}\n# Metadata of the synthetic source {self.key} (fictional, generated).\n\n"
            f"<https://w3id.org/rustbelt-kg/id/text/{self.key}> a rbo:SourceText ;\n"
            f"    rdfs:label {_lit('plain text of synthetic source ' + self.key)}@en ;\n"
            f"    prov:wasDerivedFrom {self.article} ;\n"
            f"    dcterms:title {_lit(headline)} ;\n"
            f"    dcterms:publisher \"Synthetic Daily (fictional)\" ;\n"
            f"    dcterms:issued \"{issued}\"^^xsd:date ;\n"
            f"    dcterms:language \"en\" ;\n"
            f"    schema:encodingFormat \"text/plain\" ;\n"
            f"    rbo:filePath {_lit(path)} ;\n"
            f"    rbo:sha256 {_lit(digest)} .\n"
        )

    def trig(self) -> str:
        """The claims and their provenance, as ``data/claims/NAME/NAME.trig`` holds them."""
        out = [PREFIXES, f"\n# Synthetic source {self.key} (fictional, generated).\n"]
        for cid, body, _, _, _ in self.claims:
            out.append(f"\nclaim:{cid} {{\n{body}}}\n")
        out.append("\nrbg:provenance {\n")
        for cid, _, status, start, end in self.claims:
            exact = self.text[start:end]
            prefix = self.text[max(0, start - CONTEXT):start]
            suffix = self.text[end:end + CONTEXT]
            out.append(
                f"\n    claim:{cid} a rbo:Claim ;\n"
                f"        prov:wasDerivedFrom {self.article} ;\n"
                f"        rbo:claimStatus {status} ;\n"
                f"        rbo:evidence <{cid}#target> .\n"
                f"    <{cid}#target> a oa:SpecificResource ;\n"
                f"        oa:hasSource <https://w3id.org/rustbelt-kg/id/text/{self.key}> ;\n"
                f"        oa:hasSelector <{cid}#quote> , <{cid}#position> .\n"
                f"    <{cid}#quote> a oa:TextQuoteSelector ;\n"
                f"        oa:exact {_lit(exact)} ;\n"
                f"        oa:prefix {_lit(prefix)} ;\n"
                f"        oa:suffix {_lit(suffix)} .\n"
                f"    <{cid}#position> a oa:TextPositionSelector ; "
                f"oa:start {start} ; oa:end {end} .\n"
            )
        out.append("}\n")
        return "".join(out)


def _quote(source: Source, sentence: str, words: str, separator: str = " ") -> tuple[int, int]:
    """Append ``sentence`` and return the span of ``words`` inside it."""
    start = source.say(sentence, separator) + sentence.index(words)
    return start, start + len(words)


def make_source(index: int, parks: int, rng: random.Random) -> Source:
    """Synthetic source number ``index`` (1-based) with ``parks`` park reports."""
    key = f"gen-{index:05d}"
    source = Source(key)
    day = 1 + index % 28
    headline = f"Start-ups grow in the north-east, report {index} (fictional)"
    source.headline, source.issued = headline, f"2017-03-{day:02d}"
    start = source.say(headline)
    source.claim(
        f"{key}-headline",
        f"    {source.article} a rbo:NewsArticle ;\n"
        f"        rdfs:label {_lit(headline)}@en ;\n"
        f"        schema:headline {_lit(headline)}@en .\n",
        start, start + len(headline),
    )
    dateline = f"Updated: 2017-03-{day:02d}"
    start = source.say(dateline, "\n\n")
    source.claim(
        f"{key}-updated",
        f"    {source.article} rbo:referenceDate \"2017-03-{day:02d}\"^^xsd:date .\n",
        start, start + len(dateline),
    )
    for k in range(1, parks + 1):
        local = f"{key}-park-{k}"
        park, pid = f"rb:{local}", f"{key}-p{k}"
        name = f"{_name(rng, 1)} No. {index}-{k} Incubator Park"
        province, province_label, government_label = PROVINCES[(index + k) % 3]
        city = rng.choice(CITIES)
        year = rng.randrange(2008, 2016)
        span = _quote(source, f"The {name} in {city}, {province_label}, opened in {year}.",
                      f"The {name} in {city}, {province_label}, opened in {year}", "\n\n")
        source.claim(
            f"{pid}-park",
            f"    {park} a rbo:IncubatorPark ;\n"
            f"        rdfs:label {_lit(name)}@en ;\n"
            f"        rbo:locatedIn rb:{province} ;\n"
            f"        rbo:launched rb:time-{local}-opening .\n"
            f"    rb:time-{local}-opening a rbo:TimeReference ;\n"
            f"        rdfs:label \"{year}\"@en ;\n"
            f"        rbo:statedAs \"in {year}\" ;\n"
            f"        rbo:firstDay \"{year}-01-01\"^^xsd:date ;\n"
            f"        rbo:lastDay \"{year}-12-31\"^^xsd:date .\n",
            *span,
        )
        startups = rng.randrange(10, 400)
        about = rng.random() < 0.3
        words = f"{'about ' if about else ''}{startups} startups"
        span = _quote(source, f"It boasts {words} today.", f"boasts {words}")
        source.claim(
            f"{pid}-startups",
            f"    {park} rbo:numberOfStartups rb:{local}-startup-count .\n"
            f"    rb:{local}-startup-count a rbo:Quantity ;\n"
            f"        rbo:numericValue {startups} ;\n"
            f"        rbo:unit unit:NUM ;\n"
            f"        rbo:qualifier {'rbo:Around' if about else 'rbo:Exact'} ;\n"
            f"        rbo:statedAs {_lit(words)} .\n",
            *span,
        )
        millions = rng.randrange(5, 300)
        amount = f"{millions} million yuan"
        span = _quote(
            source,
            f"The {government_label} has provided {amount} in funds to the park.",
            f"The {government_label} has provided {amount} in funds to the park",
        )
        source.claim(
            f"{pid}-funding",
            f"    rb:{province}-government a rbo:GovernmentBody ;\n"
            f"        rdfs:label {_lit(government_label)}@en ;\n"
            f"        rbo:jurisdiction rb:{province} .\n"
            f"    rb:{local}-funds a rbo:PublicFunding ;\n"
            f"        rdfs:label {_lit('funds for the ' + name)}@en ;\n"
            f"        rbo:funder rb:{province}-government ;\n"
            f"        rbo:recipient {park} ;\n"
            f"        rbo:amount rb:{local}-funds-cny .\n"
            f"    rb:{local}-funds-cny a rbo:MonetaryAmount ;\n"
            f"        rbo:numericValue {millions * 1_000_000} ;\n"
            f"        rbo:currency rbo:CNY ;\n"
            f"        rbo:qualifier rbo:Exact ;\n"
            f"        rbo:statedAs {_lit(amount)} .\n",
            *span,
        )
        company = f"{_name(rng, 2)} Technology Co Ltd {index}-{k}"
        industry, industry_label = rng.choice(INDUSTRIES)
        span = _quote(source, f"{company} is a startup born in the park.",
                      f"{company} is a startup born in the park")
        source.claim(
            f"{pid}-company",
            f"    rb:{local}-company a rbo:Startup ;\n"
            f"        rdfs:label {_lit(company)}@en ;\n"
            f"        rbo:industry rb:{industry} ;\n"
            f"        rbo:incubatedIn {park} ;\n"
            f"        rbo:description \"a startup born in the park\" .\n"
            f"    rb:{industry} a rbo:Industry ;\n"
            f"        rdfs:label {_lit(industry_label)}@en .\n",
            *span,
        )
        person = f"{_name(rng, 2)} {index}-{k}"
        age = rng.randrange(22, 60)
        span = _quote(source, f"Its founder, {person}, {age}, started it with two friends.",
                      f"Its founder, {person}, {age}")
        source.claim(
            f"{pid}-founder",
            f"    rb:{local}-founder a rbo:Person ;\n"
            f"        rdfs:label {_lit(person)}@en ;\n"
            f"        rbo:age {age} .\n"
            f"    rb:{local}-company rbo:foundedBy rb:{local}-founder .\n",
            *span,
        )
        saying = rng.choice(SAYINGS)
        # The whole name (it carries the park's number): a surname alone repeats within a
        # source now and then, and the same saying would then be quoted twice.
        surname = person
        start = source.say(f"\"{saying},\" said {surname}.", "\n\n") + 1
        end = start + len(f"{saying},\" said {surname}.")
        source.claim(
            f"{pid}-statement",
            f"    rb:statement-{local} a rbo:Statement ;\n"
            f"        rdfs:label {_lit(person + ' on the park')}@en ;\n"
            f"        rbo:speaker rb:{local}-founder ;\n"
            f"        rbo:attribution {_lit('said ' + surname)} ;\n"
            f"        rbo:reportedIn {source.article} ;\n"
            f"        rbo:text {_lit(saying)} .\n",
            start, end,
        )
    source.text += "\n"
    return source


def copy_project(out: Path) -> None:
    """Copy the checkout's sources (not its build or exports) to ``out``."""
    for folder in ("ontology", "data", "shapes", "queries", "context"):
        shutil.copytree(ROOT / folder, out / folder, dirs_exist_ok=True)


def generate(count: int, out: Path, *, parks: int = 3, seed: int = 8) -> list[str]:
    """Write the project copy with ``count`` synthetic sources; their keys."""
    out.mkdir(parents=True, exist_ok=True)
    copy_project(out)
    rng = random.Random(seed)
    keys = []
    for index in range(1, count + 1):
        source = make_source(index, parks, rng)
        text_path = f"data/sources/{source.key}.txt"
        (out / text_path).write_bytes(source.text.encode("utf-8"))
        (out / "data" / "sources" / f"{source.key}.ttl").write_text(
            source.stub(text_path, source.headline, source.issued), encoding="utf-8"
        )
        claims = out / "data" / "claims" / source.key
        claims.mkdir(parents=True, exist_ok=True)
        (claims / f"{source.key}.trig").write_text(source.trig(), encoding="utf-8")
        keys.append(source.key)
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="number of synthetic sources")
    parser.add_argument("out", type=Path, help="folder for the project copy")
    parser.add_argument("--parks", type=int, default=3, help="park reports per source")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    generate(args.count, args.out, parks=args.parks, seed=args.seed)
    print(f"{args.count} sources written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
