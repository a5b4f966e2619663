"""Docs that run: every shell example of docs/*.md that calls the API is run against a live
server on a fresh database with the demo data, and each curl's answer is checked against
what the page says (its status, the shape it shows, a list that is not empty). What a page
promises and how it is read: tests/docs_runner.py."""

import warnings
from pathlib import Path

import pytest
from django.conf import settings

from .docs_runner import (
    Block,
    Call,
    Page,
    Run,
    base_env,
    check,
    demo_database,
    demo_server,
    pages_with_curl,
    parse_shown_json,
    read_page,
    run_page,
    shape_problems,
    vendor_of,
    workdir_for,
)

PAGES = pages_with_curl()


class ExamplesNotRun(UserWarning):
    """A page marks some of its examples as not to be run against the demo server."""


def test_the_api_page_is_among_the_pages_run():
    assert "docs/api.md" in [page.name for page in PAGES]


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_examples_answer_as_the_page_says(page: Page, tmp_path: Path):
    database = settings.DATABASES["default"]
    vendor = vendor_of(database)
    excluded = page.excluded(vendor)
    if excluded:
        where = "; ".join(f"line {block.start}: {block.not_run}" for block in excluded)
        warnings.warn(
            f"{page.name}: {len(excluded)} of {len(page.shell)} sh blocks not run ({where})",
            ExamplesNotRun,
            stacklevel=1,
        )
    if not page.runnable(vendor):
        return
    workdir = workdir_for(tmp_path)
    with demo_database(database, tmp_path) as url:
        env = base_env(url, workdir)
        with demo_server(env, workdir) as port:
            run = run_page(page, port=port, env=env, workdir=workdir, vendor=vendor)
    assert run.calls, f"{page.name}: no curl ran:\n{run.output[-2000:]}"
    failures = check(page, run, vendor)
    assert not failures, f"{len(failures)} examples of {page.name} failed:\n" + "\n".join(failures)


# --- the runner's own rules, on made-up pages and answers ---------------------------------


def page_of(tmp_path: Path, text: str) -> Page:
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    page = read_page(path)
    return page


def answer(line: int, status: int, body: str, content_type: str = "application/json") -> Call:
    headers = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n\r\n"
    return Call(line, status, headers, body.encode(), exit_code=0, stderr="")


PAGE = """# A page

<!-- not run: needs the bench database -->
```sh
curl -s 'http://127.0.0.1:8000/api/v1/metrics/?limit=1000000'
```

```sh
curl -s 'http://127.0.0.1:8000/api/v1/metrics/?compnay=x'
# 400 {"compnay": ["Unknown parameter. Accepted here: after, ..."]}
curl -s -X POST http://127.0.0.1:8000/api/v1/metrics/ \\
  -d '{"a": 1}'
curl -s 'http://127.0.0.1:8000/api/v1/metrics/?format=csv'
```

```json
{"count": 1, "results": [{"id": 7, ...}]}
```
"""


@pytest.fixture
def made_up_page(tmp_path, monkeypatch):
    import tests.docs_runner as runner

    monkeypatch.setattr(runner, "ROOT", tmp_path)
    return page_of(tmp_path, PAGE)


def test_a_marked_block_is_not_run_and_the_json_after_a_block_is_its_answer(made_up_page):
    (excluded,) = made_up_page.excluded("sqlite")
    assert excluded.not_run == "needs the bench database"
    (block,) = made_up_page.runnable("sqlite")
    assert isinstance(block, Block) and block.start == 9
    assert parse_shown_json(block.answer) == {
        "count": 1,
        "results": [{"id": 7, "__more__": None}],
    }


def test_answers_as_the_page_says_pass(made_up_page):
    run = Run(
        calls=[
            answer(9, 400, '{"compnay": ["Unknown parameter."]}'),
            answer(11, 201, '{"id": 3}'),
            answer(13, 200, '{"count": 1, "results": [{"id": 7, "value": "1"}]}'),
        ]
    )
    assert check(made_up_page, run, "sqlite") == []


def test_each_way_an_answer_differs_is_named_with_its_line_status_and_body(made_up_page):
    run = Run(
        calls=[
            answer(9, 200, '{"results": []}'),
            answer(11, 500, "<h1>Server Error</h1>"),
            answer(13, 200, "id\n", content_type="text/csv"),
        ],
        errors=[(11, 1)],
    )
    failures = check(made_up_page, run, "sqlite")
    assert failures == [
        'page.md:9: status 200, expected 400: {"results": []}',
        "page.md:11: status 500, expected 2xx: <h1>Server Error</h1>",
        "page.md:13: status 200, a CSV without rows: id\n",
        "page.md:11: `curl -s -X POST http://127.0.0.1:8000/api/v1/metrics/ \\` exited with "
        "status 1",
        "page.md:13: status 200, not JSON as ```json shows: id\n",
    ]


def test_an_empty_list_a_wrong_shape_and_a_curl_that_never_ran_fail(made_up_page):
    run = Run(
        calls=[
            answer(9, 400, '{"other": []}'),
            answer(13, 200, '{"count": 0, "results": []}'),
        ]
    )
    failures = check(made_up_page, run, "sqlite")
    assert failures == [
        'page.md:9: status 400, not the shape # 400 shows: the answer lacks compnay: {"other": []}',
        "page.md:9: status 400, not the shape # 400 shows: the answer has keys the page does "
        'not show: other: {"other": []}',
        'page.md:13: status 200, an empty list: {"count": 0, "results": []}',
        "page.md:11: this curl never ran",
        "page.md:13: status 200, not the shape ```json shows: results is empty, the page shows "
        'items: {"count": 0, "results": []}',
    ]


def test_shapes_compare_keys_not_values():
    shown = parse_shown_json('{"a": 1, "b": {"c": [...]}, "d": [{"e": 1}, ...], ...}')
    assert shape_problems(shown, {"a": "x", "b": {"c": []}, "d": [{"e": None}], "z": 1}) == []
    assert shape_problems(shown, {"a": 1, "b": [], "d": [{"f": 1}]}) == [
        "b is list, the page shows an object",
        "d[0] lacks e",
        "d[0] has keys the page does not show: f",
    ]
