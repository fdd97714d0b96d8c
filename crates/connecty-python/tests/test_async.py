"""AsyncClient: the same calls as coroutines; concurrent calls share one token."""

import asyncio

import pytest

import connecty


def async_client(server, **kwargs):
    kwargs.setdefault("base_url", server.base_url)
    kwargs.setdefault("client_id", "emulator-client")
    kwargs.setdefault("client_secret", "emulator-secret")
    return connecty.AsyncClient(**kwargs)


def test_ask_health_submit_results(emulator):
    async def main():
        client = async_client(emulator)
        await client.health()
        seen = []
        answer = await client.ask(13, "list the top 5 countries with the most orders", on_progress=seen.append)
        qid = await client.submit(13, "list the top 5 countries with the most orders")
        again = await client.results(13, qid)
        return answer, seen, again

    answer, seen, again = asyncio.run(main())
    assert len(answer) == 5 and answer.columns == ["country", "orders"]
    assert seen == ["PENDING", "IN_PROGRESS", "COMPLETED"]
    assert again.rows() == answer.rows()


def test_gather_of_50_asks_makes_one_token_exchange(scripted):
    async def main():
        client = async_client(scripted)
        answers = await asyncio.gather(*(client.ask(13, "x") for _ in range(50)))
        return client, answers

    client, answers = asyncio.run(main())
    assert len(answers) == 50 and all(len(a) == 1 for a in answers)
    assert scripted.script.token_exchanges == 1
    assert client.token_exchanges == 1


def test_errors_are_the_same_classes(emulator):
    async def main():
        with pytest.raises(connecty.QuestionFailed) as e:
            await async_client(emulator).ask(13, "what is the meaning of life")
        assert len(e.value.question_id) == 36
        with pytest.raises(connecty.NotFoundError):
            await async_client(emulator).ask(14, "list the top 5 countries with the most orders")
        with pytest.raises(connecty.InvalidInput):
            await async_client(emulator).ask(13, "q", max_rows=0)

    asyncio.run(main())


def test_an_exception_in_on_progress_stops_the_wait(scripted):
    scripted.script.final = None

    def stop(state):
        raise RuntimeError(f"stop at {state}")

    async def main():
        with pytest.raises(RuntimeError, match="stop at IN_PROGRESS"):
            await async_client(scripted).ask(13, "x", on_progress=stop)

    asyncio.run(main())


def test_a_cancelled_wait_ends(scripted):
    scripted.script.final = None

    async def main():
        task = asyncio.ensure_future(async_client(scripted).ask(13, "x"))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as e:
            await task
        # The question goes on server-side; its id comes with the error.
        assert e.value.question_id is not None and len(e.value.question_id) == 36
        await asyncio.sleep(0.05)  # a poll already on the wire lands
        polls = sum(scripted.script.polls.values())
        await asyncio.sleep(0.3)
        assert sum(scripted.script.polls.values()) == polls  # the wait stopped
        client = async_client(scripted)
        task = asyncio.ensure_future(client.results(13, e.value.question_id))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as again:
            await task
        assert again.value.question_id == e.value.question_id

    asyncio.run(main())
