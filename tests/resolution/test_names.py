"""The comparable form of a name (factbase.resolution.names.fold)."""

import pytest

from factbase.resolution.names import fold, same_key, similarity


@pytest.mark.parametrize(
    "name, folded",
    [
        ("Mistral AI", "mistral"),
        ("Mistral AI SAS", "mistral"),
        ("mistral-ai", "mistral"),
        ("MISTRAL", "mistral"),
        ("DeepSeek", "deepseek"),
        ("Stability AI Ltd.", "stability"),
        ("Acme, Inc.", "acme"),
        ("Acme Corp", "acme"),
        ("Siemens AG", "siemens"),
        ("Foo S.A.S.", "foo"),
        ("Crème Brûlée SARL", "creme brulee"),
        ("Ｍｉｓｔｒａｌ", "mistral"),  # fullwidth letters
        ("Straße", "strasse"),
        ("  Le   Chat  ", "le chat"),
        ("GPT-4o", "gpt 4o"),
        ("OpenAI", "openai"),  # "ai" is dropped as a word, not as letters
        ("AI", "ai"),  # never folded to nothing
        ("AI Labs", "ai"),
        ("Inc.", "inc"),
        ("!!!", "!!!"),  # no letter or digit: as typed, case folded
    ],
)
def test_fold(name, folded):
    assert fold(name) == folded


def test_a_persons_name_keeps_its_last_words():
    assert fold("Li Ai", drop_suffixes=False) == "li ai"
    assert fold("Li Ai") == "li"


def test_names_that_differ_by_spaces_are_the_same_name():
    assert same_key(fold("Deep Seek")) == same_key(fold("DeepSeek"))


def test_similarity_is_pg_trgms():
    # The values PostgreSQL's similarity() gives for the same (folded) texts.
    assert similarity("mistral", "mistral") == 1
    assert similarity("mistral", "mistral chat") == pytest.approx(8 / 13)
    assert similarity("openai", "anthropic") == 0
    assert similarity("", "mistral") == 0
