"""What an organisation says about a topic, in the user's language, with its sources.

An answer is the organisation's sentences for the topic (facts filled in and
formatted for the locale), a mark on every uncertain sentence, the next step with
the link, and each source with the day it was last checked. A sentence whose facts
no longer hold is said in the past (its ``after``) or not at all, with a pointer to
the current conditions.
"""

from __future__ import annotations

import datetime
import os
from decimal import Decimal

from bot.i18n import (
    N_,
    format_day,
    format_money,
    format_number,
    format_share,
    render,
)
from bot.knowledge.storage import FactRow, OrganisationRow, holds
from bot.topics import SUBJECT_OF_TOPIC

UNCERTAIN = N_("(Not confirmed: please check with {name}.)")
SOURCE_LINE = N_("Source: {source} ({source_url}), checked {checked}.")
ENDED = N_(
    "Some of what my sources say about {name} was valid only until {until}: "
    "please check the current conditions at {url}."
)


def today() -> str:
    """Today, YYYY-MM-DD: what decides which facts still hold.

    ``ASSISTANT_TODAY`` fixes it (tests, or to preview what will be said on a day).
    """
    return os.environ.get("ASSISTANT_TODAY") or datetime.date.today().isoformat()


def format_fact(fact: FactRow, language: str) -> str:
    """A fact's value for the locale: euros, a percentage, a year, a day, a number."""
    if fact.day is not None:
        return format_day(fact.day, language, fact.unit or "date")
    if fact.value is None:
        return fact.text or ""
    if fact.unit == "EUR":
        return format_money(fact.value, language)
    if fact.unit == "percent":
        return format_share(Decimal(str(fact.value)) / 100, language)
    if fact.unit == "year":  # 2007, not "2,007"
        return format_number(fact.value, language, pattern="0")
    return format_number(fact.value, language)


def fact_values(organisation: OrganisationRow, language: str) -> dict[str, str]:
    """The organisation's name, link and facts, ready for a sentence's placeholders."""
    values = {fact.key: format_fact(fact, language) for fact in organisation.facts}
    return {**values, "name": organisation.name, "url": organisation.url}


def source_values(source: object, language: str) -> dict[str, str]:
    """A source's title, page and the day it was checked, for a source line."""
    return {
        "source": source.title,
        "source_url": source.url,
        "checked": format_day(source.checked, language),
    }


def compose_answer(
    organisation: OrganisationRow,
    topic: str,
    language: str,
    details: tuple[str, ...] = (),
    on: str | None = None,
) -> str:
    """The organisation's answer about ``topic``: facts, next step, sources.

    With ``details`` ("maximum"), only the sentences about them, from any topic of
    the same subject ("what is the most I can borrow?" is answered by the loan
    terms). Only what holds ``on`` that day (default: today) is said as current.
    Returns an empty string when the organisation says nothing about it.
    """
    day = on or today()
    if not details:
        sentences = [answer for answer in organisation.answers if answer.topic == topic]
    else:
        subject = SUBJECT_OF_TOPIC.get(topic)
        sentences = list(
            {
                answer.text: answer
                for answer in organisation.answers
                if SUBJECT_OF_TOPIC.get(answer.topic) == subject
                and set(details) & set(answer.about.split())
            }.values()
        )
    if not sentences:
        return ""
    values = fact_values(organisation, language)
    said: list[str] = []
    cited = []  # the sentences said, now or in the past: their sources are listed
    ended = []  # the days sentences with no past form stopped holding
    for sentence in sentences:
        if (sentence.valid_from or day) > day:
            continue  # not yet
        text = sentence.text
        if not holds(None, sentence.valid_until, day):
            if not sentence.after:
                ended.append(sentence.valid_until)
                continue
            text = sentence.after
        cited.append(sentence)
        text = render(text, language, values)
        if sentence.uncertain:
            text = f"{text} {render(UNCERTAIN, language, values)}"
        if text not in said:  # two topics' sentences may be said alike
            said.append(text)
    if ended:
        until = format_day(max(ended), language)
        said.append(render(ENDED, language, {**values, "until": until}))
    if not said:
        return ""
    sources = list({source.id: source for s in cited for source in s.sources}.values())
    body = " ".join(said)
    if organisation.name.casefold() not in body.casefold():
        # Its name stays in its own language ("Service de la reconnaissance ..."),
        # so people find it, even where the sentence describes it in theirs.
        body = f"{organisation.name}: {body}"
    lines = [
        body,
        render(organisation.next_step, language, values),
        *(
            render(SOURCE_LINE, language, source_values(source, language))
            for source in sources
        ),
    ]
    return "\n".join(lines)
