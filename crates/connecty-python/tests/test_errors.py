"""Each exception, with the CLI's message and hint, and no secret in it."""

import pytest

import connecty

SECRET = "never-print-this-secret"


def test_the_hierarchy():
    for cls in (
        connecty.AuthError,
        connecty.ForbiddenError,
        connecty.NotFoundError,
        connecty.AnswerTooLarge,
        connecty.QuestionFailed,
        connecty.DeadlineExceeded,
        connecty.TransportError,
        connecty.InvalidInput,
    ):
        assert issubclass(cls, connecty.ConnectyError)
    assert issubclass(connecty.InvalidInput, ValueError)


def test_refused_credentials_raise_auth_error_without_the_secret(emulator):
    client = emulator.client(client_secret=SECRET)
    with pytest.raises(connecty.AuthError) as e:
        client.ask(13, "list the top 5 countries with the most orders")
    text = str(e.value) + repr(e.value) + repr(client)
    assert SECRET not in text
    assert e.value.hint.startswith("hint: check the client id and secret")


def test_missing_credentials_raise_auth_error_but_health_works(emulator):
    client = connecty.Client(base_url=emulator.base_url)
    client.health()
    with pytest.raises(connecty.AuthError) as e:
        client.ask(13, "x")
    assert "no client id" in str(e.value)


def test_another_workspace_is_not_found(emulator):
    with pytest.raises(connecty.NotFoundError):
        emulator.client().ask(14, "list the top 5 countries with the most orders")


def test_forbidden(scripted):
    scripted.script.ask_status = 403
    with pytest.raises(connecty.ForbiddenError) as e:
        scripted.client().ask(13, "x")
    assert e.value.hint.startswith("hint: ")


def test_a_failed_question_has_its_reason_and_id(emulator):
    with pytest.raises(connecty.QuestionFailed) as e:
        emulator.client().ask(13, "what is the meaning of life")
    assert len(e.value.question_id) == 36
    assert e.value.reason
    assert e.value.reason in str(e.value)


def test_a_deadline_carries_the_question_id_to_resume(scripted):
    scripted.script.final = None
    with pytest.raises(connecty.DeadlineExceeded) as e:
        scripted.client().ask(13, "x", timeout=0.5)
    qid = e.value.question_id
    assert len(qid) == 36
    assert f'client.results(13, "{qid}")' in str(e.value)


def test_an_answer_too_large(scripted):
    scripted.script.frame([["x"], [1], [2]], stats={"x": {"general": {"count": 10_000_000_000, "nulls_count": 0}}})
    with pytest.raises(connecty.AnswerTooLarge) as e:
        scripted.client().ask(13, "x", max_rows=2, all_rows=True)
    assert "max_rows= (without all_rows=True)" in str(e.value)


def test_an_unreachable_server_is_a_transport_error():
    client = connecty.Client(base_url="http://127.0.0.1:1", client_id="a", client_secret=SECRET)
    with pytest.raises(connecty.TransportError) as e:
        client.health()
    assert SECRET not in str(e.value)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda c: c.ask(-1, "q"), "dw"),
        (lambda c: c.ask(13, "q", max_rows=0), "max_rows"),
        (lambda c: c.ask(13, "q", include=["rows"]), "include"),
        (lambda c: c.ask(13, "q", timeout=0), "timeout"),
        (lambda c: c.results(13, "not-a-uuid"), "question_id"),
        (lambda c: c.submit(-5, "q"), "dw"),
        (lambda c: c.ask(2**64, "q"), "dw"),
        (lambda c: c.ask(-(2**200), "q"), "dw"),
        (lambda c: c.ask(13, "q", max_rows=2**200), "max_rows"),
        (lambda c: c.results(2**70, "6f1c2a3b-0000-4000-8000-000000000001"), "dw"),
    ],
)
def test_bad_values_raise_invalid_input_naming_the_argument(scripted, call, argument):
    with pytest.raises(connecty.InvalidInput) as e:
        call(scripted.client())
    assert e.value.argument == argument
    assert str(e.value).startswith(f"{argument}: ")
    assert isinstance(e.value, ValueError)
    assert scripted.script.asks == 0


def test_an_empty_question_is_invalid_input_naming_it(scripted):
    with pytest.raises(connecty.InvalidInput) as e:
        scripted.client().ask(13, "   ")
    assert e.value.argument == "question"
    assert scripted.script.asks == 0


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"base_url": "nope://x y"}, "base_url"), ({"region": "mars"}, "region"), ({"timeout": -1}, "timeout")],
)
def test_bad_settings_raise_invalid_input(kwargs, argument):
    with pytest.raises(connecty.InvalidInput) as e:
        connecty.Client(**kwargs)
    assert e.value.argument == argument


def test_an_unknown_profile_is_invalid_input():
    with pytest.raises(connecty.InvalidInput) as e:
        connecty.Client("prod")
    assert 'unknown profile "prod"' in str(e.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.ask("13", "q"),
        lambda c: c.ask(13, 5),
        lambda c: c.ask(13, "q", max_rows="10"),
        lambda c: c.ask(13, "q", include="dataframe"),
        lambda c: c.results(13, 5),
    ],
)
def test_wrong_types_raise_type_error(scripted, call):
    with pytest.raises(TypeError):
        call(scripted.client())
