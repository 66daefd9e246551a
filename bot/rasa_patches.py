"""Rasa 3.6 made faster, in Rasa's process: applied when our tracker store starts.

- Rasa checks every action server response against its JSON schema with
  ``jsonschema.validate``, which first checks the schema itself, on every call: about
  20 ms of CPU per action (two or three actions per message) for a schema that never
  changes. Here the validator is built and the schema checked once; each response is
  still validated, and an invalid one raises the same ``ValidationError`` with Rasa's
  message.
- After every user message Rasa runs ``action_validate_slot_mappings`` (the reply
  language and what the user told about themselves, ``actions/language.py``): it
  rebuilt the whole tracker from its events, sent it to the action server and read
  the answer back, every message. Here rasa_sdk's own executor runs that action in
  Rasa's process (as later Rasa versions run custom actions, ``actions_module``), on
  the tracker's state with the extracted slots applied: no copy, no round trip. Its
  events are kept as Rasa keeps a validation action's (slots and bot messages only).
- Every other action call sends the whole tracker as JSON, encoded by the standard
  library (a tenth of Rasa's CPU under load): the action server's HTTP session
  encodes it with orjson instead, the same JSON.

``tests/test_rasa_pins.py`` fails if Rasa changes what this replaces.
"""

from __future__ import annotations

import json
import logging
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

import aiohttp
import numpy as np
import orjson
import rasa
from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import ACTION_VALIDATE_SLOT_MAPPINGS
from rasa.shared.core.events import BotUttered, Event, SlotSet, deserialise_events
from rasa.shared.core.trackers import EventVerbosity
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from rasa_sdk.executor import ActionExecutor

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


@cache
def response_validator() -> Validator:
    """The validator of action server responses, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    kind = validator_for(schema)
    kind.check_schema(schema)
    return kind(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result``, with the prepared validator."""
    try:
        response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            "For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise


@cache
def slot_validation() -> ActionExecutor:
    """rasa_sdk's executor with our ``action_validate_slot_mappings``, ready to run."""
    from actions.knowledge import place_resolver
    from actions.language import ValidateSlotMappings

    executor = ActionExecutor()
    executor.register_action(ValidateSlotMappings)
    # The place names of every language, indexed while Rasa loads its model.
    threading.Thread(target=place_resolver().prepare, daemon=True).start()
    return executor


async def execute_validation_action(
    self: ActionExtractSlots,
    extraction_events: list[Event],
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> list[Event]:
    """Rasa's ``ActionExtractSlots._execute_validation_action``, in this process.

    The action sees what it saw through the action server: the conversation since
    the latest restart with the extracted slots set.
    """
    slot_events = [event for event in extraction_events if isinstance(event, SlotSet)]
    if ACTION_VALIDATE_SLOT_MAPPINGS not in domain.user_actions:
        return list(slot_events)
    state = tracker.current_state(EventVerbosity.AFTER_RESTART)
    for event in slot_events:
        state["slots"][event.key] = event.value
        state["events"].append(event.as_dict())
    try:
        response = await slot_validation().run(
            {
                "next_action": ACTION_VALIDATE_SLOT_MAPPINGS,
                "sender_id": tracker.sender_id,
                "tracker": state,
                "domain": domain.as_dict(),
                "version": rasa.__version__,
            }
        )
    except Exception:  # as Rasa does when the action server fails: slots unfilled
        logger.exception("%s failed", ACTION_VALIDATE_SLOT_MAPPINGS)
        response = None
    response = response or {}
    action = RemoteAction(ACTION_VALIDATE_SLOT_MAPPINGS, None)
    said = await action._utter_responses(
        response.get("responses", []), output_channel, nlg, tracker
    )
    validated = [
        event
        for event in [*said, *deserialise_events(response.get("events", []))]
        if isinstance(event, (SlotSet, BotUttered))
    ]
    names = {event.key for event in validated if isinstance(event, SlotSet)}
    return validated + [event for event in slot_events if event.key not in names]


def _json_default(value: Any) -> Any:
    """Numbers that numpy made (the classifier's confidences), as plain numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_text(value: Any) -> str:
    """``json.dumps``, by orjson: the same JSON, several times faster.

    What orjson cannot write (an integer beyond 64 bits a user sent as metadata)
    is written by the standard library, as before.
    """
    try:
        return orjson.dumps(
            value, default=_json_default, option=orjson.OPT_NON_STR_KEYS
        ).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, default=_json_default)


def endpoint_session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's ``EndpointConfig.session``, encoding request bodies with orjson."""
    auth = None
    if self.basic_auth:
        auth = aiohttp.BasicAuth(
            self.basic_auth["username"], self.basic_auth["password"]
        )
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        json_serialize=json_text,
    )


def apply() -> None:
    """Installs all three (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    EndpointConfig.session = endpoint_session  # type: ignore[method-assign]
    ActionExtractSlots._execute_validation_action = execute_validation_action  # type: ignore[method-assign]
    slot_validation()
