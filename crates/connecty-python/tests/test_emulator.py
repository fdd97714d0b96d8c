"""connecty.Emulator: the shipped emulator as a context manager."""

import pytest

import connecty


def test_the_readme_line_works():
    with connecty.Emulator(quick=True) as emu:
        answer = emu.client().ask(13, "list the top 5 countries with the most orders")
        assert len(answer) == 5
        assert emu.workspace_id == 13
        assert emu.base_url.startswith("http://127.0.0.1:")
        assert emu.token_requests == 1 and emu.questions_asked == 1
    with pytest.raises(RuntimeError, match="closed"):
        emu.questions_asked
    with pytest.raises(connecty.TransportError):
        connecty.Client(base_url=emu.base_url).health()


def test_client_keyword_arguments_pass_through():
    with connecty.Emulator(quick=True) as emu:
        with pytest.raises(connecty.AuthError):
            emu.client(client_secret="wrong").ask(13, "x")
        assert "Emulator(base_url=" in repr(emu)


def test_a_bad_token_ttl_is_invalid_input():
    with pytest.raises(connecty.InvalidInput) as e:
        connecty.Emulator(token_ttl=0)
    assert e.value.argument == "token_ttl"
