"""Registering once: consent, name, commune, village, phone, organisation; then the first
words they wrote, offered as their first opinion."""

from __future__ import annotations

from datetime import datetime

from bot import services, texts
from bot import validation as validate
from bot.communes import search as search_communes
from bot.conversation import opinions
from bot.conversation.turn import (
    COMMUNE,
    CONSENT,
    FIRST_OFFER,
    IDLE,
    NAME,
    NEW,
    ORGANISATION,
    PHONE,
    VILLAGE,
    Turn,
    menu,
    preview,
)
from bot.errors import NotFound, ValidationError
from bot.messages import Choice, InboundKind, Reply
from bot.model import ORGANISATION_NAMES, Organisation
from bot.texts import esc
from nlp.normalize import clean_text, fold

MAX_VILLAGE_BUTTONS = 24


def ask_consent(turn: Turn) -> list[Reply]:
    turn.state.step, turn.state.data = CONSENT, {}
    return [
        Reply(texts.WELCOME),
        Reply(
            texts.CONSENT,
            (Choice(texts.CONSENT_YES, "consent:yes"), Choice(texts.CONSENT_NO, "consent:no")),
        ),
    ]


def step_new(turn: Turn) -> list[Reply]:
    first = _kept_first(turn)
    replies = ask_consent(turn)
    if first:  # their first words are often their opinion: offered after registration
        turn.state.data["first"] = first
    return replies


def _kept_first(turn: Turn) -> str:
    if turn.inbound.kind is not InboundKind.TEXT:
        return ""
    return clean_text(turn.inbound.text)[: validate.MAX_OPINION_CHARS]


def step_consent(turn: Turn) -> list[Reply]:
    first = turn.state.data.get("first", "")
    answer = turn.inbound.choice or ""
    how = "typed" if turn.inbound.typed else "button"
    if turn.inbound.kind is InboundKind.TEXT:
        typed = validate.yes_no(turn.inbound.text)
        answer = "" if typed is None else ("consent:yes" if typed else "consent:no")
        how = "typed"
        if typed is None and not first:
            first = _kept_first(turn)
    if answer == "consent:yes":
        turn.state.step = NAME
        turn.state.data = {"consent_at": turn.now.isoformat(), "consent_how": how}
        if first:
            turn.state.data["first"] = first
        return [Reply(texts.ASK_NAME)]
    if answer == "consent:no":
        turn.state.step, turn.state.data = NEW, {}
        return [Reply(texts.CONSENT_DECLINED)]
    ask = ask_consent(turn)[1:]
    if first:
        turn.state.data["first"] = first
    if turn.inbound.kind is InboundKind.TEXT:
        return [Reply(texts.CONSENT_HINT), *ask]
    return ask


def step_name(turn: Turn) -> list[Reply]:
    if turn.inbound.kind is not InboundKind.TEXT:
        return [Reply(texts.ASK_NAME)]
    try:
        turn.state.data["name"] = validate.full_name(turn.inbound.text)
    except ValidationError as err:
        return [Reply(err.user_message)]
    served = turn.tx.communes_list()
    if len(served) == 1:
        return _commune_chosen(turn, served[0].code)
    turn.state.step = COMMUNE
    if not served:
        return [Reply(texts.COMMUNE_NONE_CONFIGURED)]
    return [Reply(texts.ASK_COMMUNE)]


def step_commune(turn: Turn) -> list[Reply]:
    choice = turn.inbound.choice or ""
    if choice.startswith("commune:") and choice[8:].isdigit():
        return _commune_chosen(turn, int(choice[8:]))
    served = turn.tx.communes_list()
    if not served:
        return [Reply(texts.COMMUNE_NONE_CONFIGURED)]
    if turn.inbound.kind is not InboundKind.TEXT:
        return [Reply(texts.ASK_COMMUNE)]
    query = clean_text(turn.inbound.text)[:80]
    found = search_communes(query, served)
    if not found:
        return [Reply(texts.COMMUNE_NOT_FOUND.format(query=esc(query)))]
    choices = tuple(Choice(f"{c.name} ({c.province})", f"commune:{c.code}") for c in found)
    return [Reply(texts.COMMUNE_PICK, choices)]


def _commune_chosen(turn: Turn, code: int) -> list[Reply]:
    commune = turn.tx.commune_get(code)
    if commune is None:
        turn.state.step = COMMUNE
        return [Reply(texts.ASK_COMMUNE)]
    turn.state.data["commune"] = code
    turn.state.step = VILLAGE
    return _ask_village(turn, commune.name)


def _ask_village(turn: Turn, commune_name: str) -> list[Reply]:
    villages = turn.tx.villages_list(turn.state.data["commune"])
    if not villages or len(villages) > MAX_VILLAGE_BUTTONS:
        return [Reply(texts.ASK_VILLAGE_FREE.format(commune=esc(commune_name)))]
    choices = tuple(Choice(v.name, f"village:{v.id}") for v in villages)
    return [Reply(texts.ASK_VILLAGE.format(commune=esc(commune_name)), choices)]


def step_village(turn: Turn) -> list[Reply]:
    code = int(turn.state.data["commune"])
    choice = turn.inbound.choice or ""
    villages = turn.tx.villages_list(code)
    if choice.startswith("village:") and choice[8:].isdigit():
        try:
            village = services.village_choice(turn.tx, code, int(choice[8:]))
        except NotFound:
            return [Reply(texts.STALE_CHOICE)]
        turn.state.data["village_id"], turn.state.data["village"] = village.id, village.name
    elif turn.inbound.kind is InboundKind.TEXT:
        name = clean_text(turn.inbound.text).replace("\n", " ")
        if not name or len(name) > 60:
            return [Reply(texts.VILLAGE_INVALID)]
        if villages:
            matches = [v for v in villages if fold(name) in fold(v.name)]
            exact = [v for v in matches if fold(v.name) == fold(name)]
            if len(exact) == 1 or len(matches) == 1:
                village = (exact or matches)[0]
                turn.state.data["village_id"] = village.id
                turn.state.data["village"] = village.name
            else:
                shown = matches[:MAX_VILLAGE_BUTTONS] or villages[:MAX_VILLAGE_BUTTONS]
                choices = tuple(Choice(v.name, f"village:{v.id}") for v in shown)
                commune = turn.tx.commune_get(code)
                label = esc(commune.name if commune else "")
                return [Reply(texts.ASK_VILLAGE.format(commune=label), choices)]
        else:
            turn.state.data["village_id"], turn.state.data["village"] = None, name
    else:
        commune = turn.tx.commune_get(code)
        return _ask_village(turn, commune.name if commune else "")
    turn.state.step = PHONE
    return [Reply(texts.ASK_PHONE, (Choice(texts.SKIP, "phone:skip"),))]


def step_phone(turn: Turn) -> list[Reply]:
    if turn.inbound.choice == "phone:skip":
        turn.state.data["phone"] = None
    elif turn.inbound.kind is InboundKind.TEXT:
        try:
            turn.state.data["phone"] = validate.phone(turn.inbound.text)
        except ValidationError as err:
            return [Reply(err.user_message, (Choice(texts.SKIP, "phone:skip"),))]
    else:
        return [Reply(texts.ASK_PHONE, (Choice(texts.SKIP, "phone:skip"),))]
    turn.state.step = ORGANISATION
    return [Reply(texts.ASK_ORGANISATION, _organisation_choices())]


def _organisation_choices() -> tuple[Choice, ...]:
    return tuple(Choice(name, f"org:{org.value}") for org, name in ORGANISATION_NAMES.items())


def step_organisation(turn: Turn) -> list[Reply]:
    choice = turn.inbound.choice or ""
    try:
        organisation = Organisation(choice.removeprefix("org:"))
    except ValueError:
        return [Reply(texts.ASK_ORGANISATION, _organisation_choices())]
    data = turn.state.data
    reg = services.Registration(
        full_name=data["name"],
        commune_code=int(data["commune"]),
        village_id=data.get("village_id"),
        village_name=data["village"],
        phone=data.get("phone"),
        organisation=organisation,
        consent_at=datetime.fromisoformat(data["consent_at"]),
        consent_how=data.get("consent_how", "button"),
    )
    resident = services.register_resident(
        turn.tx,
        turn.inbound.channel,
        turn.inbound.user_key,
        turn.inbound.chat_id,
        reg,
        turn.now,
    )
    commune = turn.tx.commune_get(resident.commune_code)
    first = data.get("first", "")
    turn.state.step, turn.state.data = IDLE, {}
    done = texts.REGISTERED.format(
        name=esc(resident.full_name),
        commune=esc(commune.name if commune else ""),
        village=esc(resident.village_name),
    )
    if first and _fileable(first):
        turn.state.step, turn.state.data = FIRST_OFFER, {"first": first}
        return [Reply(done), _first_offer(first)]
    return [Reply(done), menu()]


def _fileable(text: str) -> bool:
    try:
        validate.opinion_text(text)
    except ValidationError:
        return False
    return True


def _first_offer(first: str, hint: bool = False) -> Reply:
    text = texts.FIRST_OFFER.format(preview=preview(first, 300))
    return Reply(
        (texts.CONFIRM_HINT + "\n\n" if hint else "") + text,
        (Choice(texts.FIRST_SEND, "first:yes"), Choice(texts.FIRST_SKIP, "first:no")),
    )


def step_first_offer(turn: Turn) -> list[Reply] | None:
    first = turn.state.data.get("first", "")
    answer = turn.inbound.choice
    if turn.inbound.kind is InboundKind.TEXT:
        typed = validate.yes_no(turn.inbound.text)
        if typed is None:  # never filed from here: ask again, with a hint
            return [_first_offer(first, hint=True)]
        answer = "first:yes" if typed else "first:no"
    if answer == "first:yes":
        return opinions.new_opinion(turn, first, None)
    turn.state.step, turn.state.data = IDLE, {}
    if answer == "first:no":
        return [Reply(texts.FIRST_SKIPPED), menu()]
    if turn.inbound.kind is InboundKind.CHOICE:
        return None
    return [Reply(texts.UNSUPPORTED)]
