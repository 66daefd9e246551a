"""What our channels and patches rely on inside Rasa 3.6: these fail on an upgrade
that moves it.

``bot.channels`` overrides private methods of Rasa's REST channel (``_extract_*``) and
replaces the socket.io channel's event handlers (``sio.handlers``, the engine.io
``message`` handler). If Rasa stops calling them, our checks would silently stop
running: a message longer than the limit, or a malformed packet, would reach Rasa.
"""

from __future__ import annotations

import inspect
import json
from importlib.metadata import version
from typing import Any

import numpy as np
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_patches
from bot.channels.rest import CheckedRestInput
from bot.channels.socketio import CheckedSocketIOInput
from bot.settings import ROOT


async def _ignore(_: Any) -> None:
    return None


def test_rasa_is_the_version_the_overrides_were_written_for() -> None:
    assert version("rasa") == "3.6.21"


def test_rest_blueprint_reads_the_request_through_the_methods_we_override() -> None:
    receive = inspect.getsource(RestInput.blueprint)
    for call in (
        "await self._extract_sender(request)",
        "self._extract_message(request)",
        "self._extract_input_channel(request)",
        "self.get_metadata(request)",
    ):
        assert call in receive
    for name in ("_extract_sender", "_extract_message", "_extract_input_channel"):
        ours = getattr(CheckedRestInput, name)
        assert ours is not getattr(RestInput, name)
        assert list(inspect.signature(ours).parameters) == list(
            inspect.signature(getattr(RestInput, name)).parameters
        )


def test_socketio_blueprint_registers_the_handlers_we_replace() -> None:
    rasas = SocketIOInput("user_uttered", "bot_uttered")
    rasas.blueprint(_ignore)
    assert set(rasas.sio.handlers["/"]) == {
        "connect",
        "disconnect",
        "session_request",
        "user_uttered",
    }
    assert "message" in rasas.sio.eio.handlers

    ours = CheckedSocketIOInput("user_uttered", "bot_uttered")
    ours.blueprint(_ignore)
    handlers = ours.sio.handlers["/"]
    assert handlers["user_uttered"].__qualname__.endswith("checked_message")
    assert handlers["session_request"] == ours._session_request
    assert ours.sio.eio.handlers["message"].__qualname__.startswith(
        "checked_eio_message"
    )


def test_action_responses_are_still_validated_with_rasas_schema() -> None:
    """bot.rasa_patches replaces the method Rasa calls; valid and invalid alike."""
    source = inspect.getsource(RemoteAction.run)
    assert "self._validate_action_result(response)" in source
    rasa_patches.apply()
    action = RemoteAction("action_answer_topic", None)
    valid = {"events": [{"event": "slot", "name": "city", "value": "Tilburg"}]}
    assert action._validate_action_result(valid) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server"):
        action._validate_action_result({"events": [{"event": "no such event"}]})


def rasa_tracker(text: str, intent: str, guessed: str, **slots: str):
    """Rasa's tracker after a user message, as ``action_extract_slots`` gets it."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events(
        "pins",
        [
            ActionExecuted("action_listen"),
            *(SlotSet(name, value) for name, value in slots.items()),
            UserUttered(
                text,
                intent={"name": intent, "confidence": 0.9},
                parse_data={
                    "text": text,
                    "intent": {"name": intent, "confidence": 0.9},
                    "entities": [],
                    "language": {
                        "code": guessed,
                        "confidence": 0.99,
                        "reliable": True,
                    },
                },
            ),
        ],
        slots=domain.slots,
    )
    return tracker, domain


async def test_slot_validation_runs_in_rasas_process_as_on_the_action_server() -> None:
    """Rasa runs action_validate_slot_mappings through the method we replace; ours
    gives the slots our action gives, with no action server to call."""
    source = inspect.getsource(ActionExtractSlots.run)
    assert "await self._execute_validation_action(" in source
    rasa_patches.apply()
    assert ActionExtractSlots._execute_validation_action is (
        rasa_patches.execute_validation_action
    )
    tracker, domain = rasa_tracker(
        "Bonjour, j'habite à Gand depuis 2019", "greet", "fr", language="en"
    )
    extract = ActionExtractSlots(action_endpoint=None)  # no action server at all

    events = await extract.run(CollectingOutputChannel(), None, tracker, domain)

    slots = {event.key: event.value for event in events if isinstance(event, SlotSet)}
    assert slots["language"] == "fr"  # the reply language follows the message
    assert slots["city"] == "Ghent"
    assert tracker.get_slot("city") is None  # Rasa applies the events, not we


async def test_action_calls_are_encoded_by_orjson_to_the_same_json() -> None:
    """Rasa's request goes through the session we replace; its body reads back as
    the standard library's would, numpy's numbers included."""
    source = inspect.getsource(EndpointConfig.request)
    assert "async with self.session() as session:" in source
    assert "**kwargs" in source  # the json= of RemoteAction's call
    assert "json=modified_json if modified_json else json_body" in inspect.getsource(
        RemoteAction.run
    )
    rasa_patches.apply()
    tracker, _ = rasa_tracker("Ik woon in Gent", "inform_location", "nl")
    state = tracker.current_state(EventVerbosity.ALL)
    state["latest_message"]["intent"]["confidence"] = np.float32(0.5)
    state["slots"]["amount"] = np.int64(5000)
    state["latest_message"]["metadata"] = {"huge": 10**40}  # from a user: kept

    sent = json.loads(rasa_patches.json_text(state))

    assert sent["latest_message"]["intent"]["confidence"] == 0.5
    assert sent["slots"]["amount"] == 5000
    state["latest_message"]["intent"]["confidence"] = 0.5
    state["slots"]["amount"] = 5000
    assert sent == json.loads(json.dumps(state))
    session = EndpointConfig("http://127.0.0.1:1").session()
    assert session._json_serialize is rasa_patches.json_text
    await session.close()
