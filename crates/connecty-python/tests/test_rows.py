"""Cut answers say so; all_rows fetches the rest."""


QUESTION = "SELECT id FROM orders ORDER BY id"


def test_a_cut_answer_says_so(emulator):
    answer = emulator.client().ask(13, QUESTION, max_rows=10)
    assert len(answer) == 10
    c = answer.completeness
    assert not c.complete
    assert c.rows == 10
    assert c.at_least > 10


def test_all_rows_fetches_every_row(emulator):
    client = emulator.client()
    total = client.ask(13, "SELECT COUNT(*) AS n FROM orders").rows()[0][0]
    answer = client.ask(13, QUESTION, max_rows=10, all_rows=True)
    assert len(answer) == total
    c = answer.completeness
    assert (c.complete, c.rows, c.at_least, c.at_most) == (True, total, total, total)
    assert [r[0] for r in answer.rows()] == sorted(r[0] for r in answer.rows())


def test_submit_then_results(emulator):
    client = emulator.client()
    qid = client.submit(13, "list the top 5 countries with the most orders")
    early = client.results(13, qid, wait=False)
    assert early.question_id == qid
    assert early.state in ("PENDING", "IN_PROGRESS", "COMPLETED")
    answer = client.results(13, qid, include=["dataframe", "sqlquery"])
    assert answer.question_id == qid
    assert answer.state == "COMPLETED"
    assert len(answer) == 5 and answer.sql and answer.summary is None
