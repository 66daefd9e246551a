"""The staff pages' rendering: templates, their language, refusals, headers.

The pages speak English, French, Dutch, Finnish or Italian (the ``portal`` catalogs):
``?lang=`` chooses and is remembered in a cookie, else the browser's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot import settings
from bot.i18n import LOCALES_DIR, S_, format_day
from bot.languages import STAFF_LANGUAGES, accepted_languages, native_name

LANGUAGE_COOKIE = "staff_language"


TEMPLATES_DIR = settings.ROOT / "bot" / "web" / "templates"


@cache
def staff_translations(language: str) -> NullTranslations:
    """The compiled ``portal`` catalog of a staff language (English: the ids)."""
    if language == "en":
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], "portal")


@cache
def templates(language: str) -> Environment:
    """Jinja templates whose ``_()`` and ``{% trans %}`` speak ``language``.

    Those are the staff pages' texts; a visitor's page passes in its texts already
    rendered in the visitor's language (``bot.i18n.render``).
    """
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        staff_translations(language), newstyle=True
    )
    return environment


def staff_text(language: str, message_id: str, **values: object) -> str:
    """A staff text in ``language``, its ``%(name)s`` fields filled."""
    text = staff_translations(language).gettext(message_id)
    return text % values if values else text


def staff_language(request: web.Request) -> str:
    """?lang=, else the remembered choice, else the browser's first staff language."""
    for choice in (request.query.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if choice in STAFF_LANGUAGES:
            return choice
    accepted = accepted_languages(request.headers.get("Accept-Language", ""))
    return next((code for code in accepted if code in STAFF_LANGUAGES), "en")


def format_moment(moment: object, language: str) -> str:
    """A stored UTC time (naive) for a locale, marked UTC."""
    return format_datetime(moment, "short", tzinfo=None, locale=language) + " UTC"


def render_page(request: web.Request, name: str, **values: object) -> str:
    """A staff template in the request's language (every value escaped)."""
    language = staff_language(request)
    links = [
        (code, native_name(code), str(request.rel_url.update_query(lang=code)))
        for code in STAFF_LANGUAGES
    ]
    return (
        templates(language)
        .get_template(name)
        .render(
            language=language,
            language_links=links,
            moment=lambda value: format_moment(value, language) if value else "",
            day=lambda iso: format_day(iso, language) if iso else "",
            number=lambda value: format_decimal(value, locale=language),
            percent=lambda share: format_percent(
                round(share, 3), locale=language, decimal_quantization=False
            ),
            **values,
        )
    )


def staff_page(
    request: web.Request, name: str, status: int = 200, **values: object
) -> web.Response:
    """A rendered staff page; a ``?lang=`` choice is remembered for a year."""
    response = web.Response(
        text=render_page(request, name, **values),
        content_type="text/html",
        status=status,
    )
    if request.query.get("lang") in STAFF_LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            request.query["lang"],
            max_age=365 * 24 * 3600,
            path="/staff",
            httponly=True,
            samesite="Strict",
        )
    return response


def refusal(
    request: web.Request, error: type[web.HTTPException], message: str, **values: object
) -> web.HTTPException:
    """An HTTP error whose body is a staff page saying ``message`` (translated)."""
    text = staff_text(staff_language(request), message, **values)
    body = render_page(request, "staff_message.html", message=text)
    return error(text=body, content_type="text/html")


EXPIRED_FORM = S_("This form has expired. Reload the page and try again.")


async def read_form(request: web.Request) -> Mapping[str, object]:
    """The posted form, or a 400 page if it cannot be read.

    aiohttp raises on a multipart body without (or with a broken) boundary or part
    header, a part without a name, an unknown charset or bytes that are not in the
    one named: no browser sends such a form, and the answer is the same as to an
    old one.
    """
    try:
        return await request.post()
    except (
        HttpProcessingError,
        ValueError,
        LookupError,
        AssertionError,
        RuntimeError,
    ):
        raise refusal(request, web.HTTPBadRequest, EXPIRED_FORM) from None


# Staff pages show personal data: never cached, never framed by another site.
STAFF_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@web.middleware
async def staff_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Adds STAFF_HEADERS to every response under /staff, errors included."""
    if not request.path.startswith("/staff"):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(STAFF_HEADERS)
        raise
    if not response.prepared:  # a streamed export set them before its first byte
        response.headers.update(STAFF_HEADERS)
    return response
