"""What an organisation says about a topic, in the user's language, with its sources.

An answer is the organisation's sentences for the topic (facts filled in and
formatted for the locale), a mark on every uncertain sentence, the next step with
the link, and each source with the date it was last checked.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal, format_percent

from bot.i18n import N_, format_money, render
from bot.knowledge.storage import FactRow, OrganisationRow
from bot.topics import SUBJECT_OF_TOPIC

UNCERTAIN = N_("(Not confirmed: please check with {name}.)")
SOURCE_LINE = N_("Source: {source} ({source_url}), checked {checked}.")


def format_fact(fact: FactRow, language: str) -> str:
    """A fact's value for the locale: euros, a percentage or a plain number."""
    if fact.unit == "EUR":
        return format_money(fact.value, language)
    if fact.unit == "percent":
        share = Decimal(str(fact.value)) / 100
        return format_percent(share, locale=language, decimal_quantization=False)
    return format_decimal(fact.value, locale=language)


def fact_values(organisation: OrganisationRow, language: str) -> dict[str, str]:
    """The organisation's name, link and facts, ready for a sentence's placeholders."""
    values = {
        fact.key: format_fact(fact, language)
        for fact in organisation.facts
        if fact.value is not None
    }
    return {**values, "name": organisation.name, "url": organisation.url}


def compose_answer(
    organisation: OrganisationRow,
    topic: str,
    language: str,
    details: tuple[str, ...] = (),
) -> str:
    """The organisation's answer about ``topic``: facts, next step, sources.

    With ``details`` ("maximum"), only the sentences about them, from any topic of
    the same subject ("what is the most I can borrow?" is answered by the loan
    terms). Returns an empty string when the organisation says nothing about it.
    """
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
    said = []
    for sentence in sentences:
        text = render(sentence.text, language, values)
        if sentence.uncertain:
            text = f"{text} {render(UNCERTAIN, language, values)}"
        said.append(text)
    sources = list(
        {source.id: source for s in sentences for source in s.sources}.values()
    )
    body = " ".join(said)
    if organisation.name.casefold() not in body.casefold():
        # Its name stays in its own language ("Service de la reconnaissance ..."),
        # so people find it, even where the sentence describes it in theirs.
        body = f"{organisation.name}: {body}"
    lines = [
        body,
        render(organisation.next_step, language, values),
        *(
            render(
                SOURCE_LINE,
                language,
                {
                    "source": source.title,
                    "source_url": source.url,
                    "checked": source.checked,
                },
            )
            for source in sources
        ),
    ]
    return "\n".join(lines)
