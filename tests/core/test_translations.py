"""English, Spanish and French ship complete; Arabic is offered only to prove right-to-left layout.

The catalog tests read locale/<lang>/LC_MESSAGES/django.po with a small parser (no database, no
third-party library): every entry must be translated, none fuzzy, and the placeholders kept. The page
tests render real pages through LocaleMiddleware and the language switcher. Compiled .mo files are
git-ignored, so a session fixture compiles them when they are missing or older than their .po.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.signals import setting_changed
from django.urls import reverse
from django.utils import translation

SHIPPED = ("es", "fr")
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
COUNCIL_NAME = "Council for Social Service Professions"  # tests/factories.py council_create()
EN_DASH = "\u2013"  # base.html titles read "<page title> EN_DASH <council name>"


# Catalogs ------------------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$")


def _unquote(token: str) -> str:
    if len(token) < 2 or not (token.startswith('"') and token.endswith('"')):
        raise ValueError(f"not a PO string: {token!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), token[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The entries of a PO file, header first. Only what these tests need: no previous-msgid (#|) data."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue  # an obsolete entry's previous msgid
        elif line.startswith("#"):
            if current is not None and current.msgid:
                finish()  # a comment after a complete entry starts the next one
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, token = match.groups()
            starts_entry = keyword == "msgctxt" or (
                keyword == "msgid" and target is not None and target[0] != "msgctxt"
            )
            if current is None or (starts_entry and (current.msgid or current.msgstr or current.msgstr_plural)):
                finish()
                current = Entry(line=number)
            current.obsolete = current.obsolete or obsolete
            if keyword.startswith("msgstr["):
                target = ("msgstr_plural", int(index))
                current.msgstr_plural[int(index)] = ""
            else:
                target = (keyword, None)
                setattr(current, keyword, "")
            line = token
        if not line.startswith('"') or current is None or target is None:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
        text = _unquote(line)
        name, index = target
        if name == "msgstr_plural":
            assert index is not None
            current.msgstr_plural[index] += text
        else:
            setattr(current, name, (getattr(current, name) or "") + text)
    finish()
    return entries


def catalog(lang: str) -> tuple[Entry, list[Entry]]:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"
    assert path.is_file(), f"{path} is missing: run makemessages -l {lang}"
    entries = parse_po(path)
    header = next((entry for entry in entries if entry.msgid == "" and entry.msgctxt is None), None)
    assert header is not None, f"{path} has no header entry"
    return header, [entry for entry in entries if entry is not header and not entry.obsolete]


def header_fields(header: Entry) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in header.msgstr.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


_PLACEHOLDER = re.compile(r"%(?:%|\(\w+\)[#0\- +]*\d*(?:\.\d+)?[a-zA-Z]|[#0\- +]*\d*(?:\.\d+)?[sdifr])")


def placeholders(text: str) -> Counter[str]:
    return Counter(token for token in _PLACEHOLDER.findall(text) if token != "%%")


@pytest.mark.parametrize("lang", SHIPPED)
def test_catalog_header_is_complete(lang: str) -> None:
    header, entries = catalog(lang)
    fields = header_fields(header)
    assert "fuzzy" not in header.flags, f"{lang}: the header is marked fuzzy"
    assert fields.get("Language") == lang
    assert fields.get("Content-Type") == "text/plain; charset=UTF-8"
    plural_forms = fields.get("Plural-Forms", "")
    match = re.fullmatch(r"nplurals=(\d+); plural=.+;", plural_forms)
    assert match, f"{lang}: bad Plural-Forms header {plural_forms!r}"
    nplurals = int(match.group(1))
    wrong = [entry.label() for entry in entries if entry.msgid_plural and len(entry.msgstr_plural) != nplurals]
    assert not wrong, f"{lang}: plural entries without exactly {nplurals} forms:\n" + "\n".join(wrong)


@pytest.mark.parametrize("lang", SHIPPED)
def test_catalog_has_no_untranslated_or_fuzzy_entry(lang: str) -> None:
    _, entries = catalog(lang)
    assert entries, f"{lang}: the catalog is empty"
    untranslated = [
        entry.label()
        for entry in entries
        if (entry.msgid_plural and not all(entry.msgstr_plural.values()))
        or (not entry.msgid_plural and not entry.msgstr)
    ]
    fuzzy = [entry.label() for entry in entries if "fuzzy" in entry.flags]
    report = [f"untranslated {label}" for label in untranslated] + [f"fuzzy {label}" for label in fuzzy]
    assert not report, f"{lang}: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy:\n" + "\n".join(report)


@pytest.mark.parametrize("lang", SHIPPED)
def test_catalog_keeps_placeholders_and_line_breaks(lang: str) -> None:
    _, entries = catalog(lang)
    offenders = []
    for entry in entries:
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        source = entry.msgid_plural if entry.msgid_plural else entry.msgid
        allowed = placeholders(entry.msgid) | placeholders(source)
        if "python-format" in entry.flags:
            if entry.msgid_plural:
                bad = any(set(placeholders(form)) - set(allowed) for form in forms)
                bad = bad or placeholders(forms[-1]) != placeholders(source)
            else:
                bad = placeholders(entry.msgstr) != placeholders(entry.msgid)
            if bad:
                offenders.append(f"{entry.label()} placeholders changed: {forms!r}")
        if any(form.count("\n") != source.count("\n") for form in forms):
            offenders.append(f"{entry.label()} line breaks changed: {forms!r}")
    assert not offenders, f"{lang}:\n" + "\n".join(offenders)


# Compiled catalogs ---------------------------------------------------------------------------


def _stale_catalogs() -> list[Path]:
    stale = []
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


@pytest.fixture(scope="session")
def compiled_catalogs() -> None:
    """`make test` compiles first; this keeps a bare pytest run (and xdist workers) correct too."""
    if _stale_catalogs():
        lock_path = Path(tempfile.gettempdir()) / "council-registry-compilemessages.lock"
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one compiles, the others wait
            try:
                stale = _stale_catalogs()
                if stale:
                    locales = sorted({po.parent.parent.name for po in stale})
                    with contextlib.chdir(settings.BASE_DIR):
                        call_command(
                            "compilemessages",
                            locale=locales,
                            ignore_patterns=[".venv", "frontend", "node_modules", "static", "staticfiles", "media"],
                            verbosity=0,
                        )
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        # Forget any catalog this process loaded before the .mo files existed.
        setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False)
    assert not _stale_catalogs(), "compilemessages left a .mo missing or older than its .po"


@pytest.mark.parametrize(
    ("lang", "search", "one", "two"),
    [
        ("es", "Buscar en el registro", "%(counter)s resultado", "%(counter)s resultados"),
        ("fr", "Rechercher dans le registre", "%(counter)s résultat", "%(counter)s résultats"),
    ],
)
@pytest.mark.usefixtures("compiled_catalogs")
def test_compiled_catalog_translates(lang: str, search: str, one: str, two: str) -> None:
    with translation.override(lang):
        assert translation.gettext("Search the register") == search
        assert translation.ngettext("%(counter)s result", "%(counter)s results", 1) == one
        assert translation.ngettext("%(counter)s result", "%(counter)s results", 2) == two
    with translation.override("en"):
        assert translation.gettext("Search the register") == "Search the register"


# Pages ---------------------------------------------------------------------------------------


class Page(HTMLParser):
    """The parts of a rendered page these tests look at, as text with entities resolved."""

    CAPTURED = ("title", "h1", "h2", "a", "button", "label", "option", "p")

    def __init__(self, content: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html: dict[str, str | None] = {}
        self.text: dict[str, list[str]] = {tag: [] for tag in self.CAPTURED}
        self.options: list[dict[str, str | None]] = []
        self._open: list[tuple[str, list[str]]] = []
        self.feed(content)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.html = dict(attrs)
        if tag == "option":
            self.options.append(dict(attrs))
        if tag in self.CAPTURED:
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        for position in range(len(self._open) - 1, -1, -1):
            if self._open[position][0] == tag:
                _, parts = self._open.pop(position)
                self.text[tag].append(" ".join("".join(parts).split()))
                return

    def handle_data(self, data: str) -> None:
        for _, parts in self._open:
            parts.append(data)


def get_page(client: Any, url: str, **headers: Any) -> Page:
    response = client.get(url, **headers)
    assert response.status_code == HTTPStatus.OK, f"GET {url}: {response.status_code}"
    return Page(response.content.decode())


HOME = {
    "es": {
        "title": f"Consultar el registro {EN_DASH} {COUNCIL_NAME}",
        "h1": "Comprobar la inscripción de un profesional de los servicios sociales",
        "search": "Buscar en el registro",
        "apply": "Solicitar la inscripción en el registro",
        "start": "Iniciar una solicitud",
        "label": "Nombre o número de registro",
        "lead": (
            "Los trabajadores sociales, los auxiliares de trabajo social y los trabajadores de cuidado infantil y "
            "juvenil deben estar inscritos en el consejo para ejercer."
        ),
        "sign_in": "Iniciar sesión",
    },
    "fr": {
        "title": f"Consulter le registre {EN_DASH} {COUNCIL_NAME}",
        "h1": "Vérifier l'inscription d'un professionnel des services sociaux",
        "search": "Rechercher dans le registre",
        "apply": "Demander l'inscription au registre",
        "start": "Commencer une demande",
        "label": "Nom ou numéro d'inscription",
        "lead": (
            "Les travailleurs sociaux, les auxiliaires de travail social et les éducateurs de l'enfance et de la "
            "jeunesse doivent être inscrits auprès du conseil pour exercer."
        ),
        "sign_in": "Se connecter",
    },
}


def assert_home_in(page: Page, lang: str) -> None:
    expected = HOME[lang]
    assert page.html.get("lang") == lang
    assert page.html.get("dir") == "ltr"
    assert page.text["title"] == [expected["title"]]
    assert page.text["h1"] == [expected["h1"]]
    assert expected["apply"] in page.text["h2"]
    assert expected["lead"] in page.text["p"]
    assert expected["search"] in page.text["a"]  # the navigation link
    assert expected["search"] in page.text["button"]  # the form's button
    assert expected["start"] in page.text["a"]
    assert expected["sign_in"] in page.text["a"]
    assert expected["label"] in page.text["label"]
    assert "Search the register" not in page.text["a"] + page.text["button"]


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogs")
@pytest.mark.parametrize("lang", SHIPPED)
def test_home_page_in_browser_language(client: Any, council: Any, categories: Any, lang: str) -> None:
    page = get_page(client, "/", HTTP_ACCEPT_LANGUAGE=lang)
    assert_home_in(page, lang)


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogs")
@pytest.mark.parametrize(
    ("lang", "heading", "search", "any_status", "registered", "no_results", "zero_results"),
    [
        (
            "es",
            "Buscar en el registro",
            "Buscar",
            "Cualquier estado",
            "Inscripción vigente",
            "Nadie en el registro coincide con su búsqueda. Compruebe la ortografía o busque por número de registro.",
            "0 resultados",
        ),
        (
            "fr",
            "Rechercher dans le registre",
            "Rechercher",
            "Tous les statuts",
            "Inscription en vigueur",
            "Aucune personne inscrite au registre ne correspond à votre recherche. Vérifiez l'orthographe ou "
            "recherchez par numéro d'inscription.",
            "0 résultat",  # French takes the singular for zero
        ),
    ],
)
def test_search_page_in_browser_language(
    client: Any,
    council: Any,
    categories: Any,
    lang: str,
    heading: str,
    search: str,
    any_status: str,
    registered: str,
    no_results: str,
    zero_results: str,
) -> None:
    url = reverse("portal:register-search")
    page = get_page(client, url, HTTP_ACCEPT_LANGUAGE=lang)
    assert page.html.get("lang") == lang
    assert page.text["title"] == [f"{heading} {EN_DASH} {COUNCIL_NAME}"]
    assert page.text["h1"] == [heading]
    assert search in page.text["button"]
    assert any_status in page.text["option"]
    assert registered in page.text["option"]

    page = get_page(client, url + "?q=Nobody+Matches+This", HTTP_ACCEPT_LANGUAGE=lang)
    assert zero_results in page.text["h2"]
    assert no_results in page.text["p"]


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogs")
def test_language_switcher_sets_french(client: Any, council: Any, categories: Any) -> None:
    page = get_page(client, "/")
    assert page.html.get("lang") == "en"
    assert [option.get("value") for option in page.options if option.get("lang")] == ["en", "es", "fr"]

    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/"

    page = get_page(client, "/")
    assert_home_in(page, "fr")
    selected = [option.get("value") for option in page.options if "selected" in option]
    assert selected == ["fr"]


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogs")
def test_arabic_is_right_to_left(client: Any, council: Any, categories: Any) -> None:
    council.languages = ["en", "ar"]
    council.save()

    page = get_page(client, "/", HTTP_ACCEPT_LANGUAGE="ar")
    assert page.html.get("lang") == "ar"
    assert page.html.get("dir") == "rtl"
    assert [option.get("value") for option in page.options if option.get("lang")] == ["en", "ar"]

    page = get_page(client, "/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.html.get("lang") == "en"
    assert page.html.get("dir") == "ltr"
