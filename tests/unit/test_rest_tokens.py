"""The query grammar's one tokenizer (backend/local_supabase/rest/tokens.py) and the parser built on it."""

from __future__ import annotations

import pytest

from backend.local_supabase.rest import parser as p
from backend.local_supabase.rest.errors import ApiError
from backend.local_supabase.rest.tokens import QUOTED, WORD, name_of, split, tokenize


def kinds(text: str) -> list[str]:
    return [t.kind for t in tokenize(text)]


def test_symbols_are_one_token_each_and_words_keep_dashes_and_gt() -> None:
    assert kinds("a->b->>c::text") == [WORD, "->", WORD, "->>", WORD, "::", WORD]
    assert kinds("x:y.z!inner(w),...s{}") == [WORD, ":", WORD, ".", WORD, "!", WORD, "(", WORD, ")", ",", "...",
                                              WORD, "{", "}"]
    assert [t.text for t in tokenize("a-b>c -1")] == ["a-b>c", "-1"]


def test_quoted_commas_parens_and_dots_stay_inside_one_token() -> None:
    toks = tokenize('"a,b(c).d"')
    assert [(t.kind, t.value) for t in toks] == [(QUOTED, "a,b(c).d")]
    assert p.parse_list('(1,"x,y","(z)",".")') == ["1", "x,y", "(z)", "."]


def test_escapes_resolve_and_unicode_is_a_word() -> None:
    (tok,) = tokenize(r'"say \"hi\" \\ ok"')
    assert tok.value == r'say "hi" \ ok'
    assert [t.text for t in tokenize("城市,😀é")] == ["城市", ",", "😀é"]
    assert p.parse_select('名:"标 题"') == [p.SelectColumn(p.Field("标 题"), "名")]


def test_positions_point_into_the_text_and_names_keep_inner_blanks() -> None:
    text = "id, full name ,x"
    parts = split(text, tokenize(text))
    assert [name_of(text, part) for part in parts] == ["id", "full name", "x"]
    assert [(t.start, t.end) for t in parts[1]] == [(4, 8), (9, 13)]


@pytest.mark.parametrize(("text", "problem", "position"), [
    ('id,"title', "unterminated double quote", 3),
    ("a,b)", 'unexpected ")"', 3),
    ("a(b,c", "unclosed parenthesis", 1),
])
def test_errors_name_the_position(text, problem, position) -> None:
    with pytest.raises(ApiError) as err:
        split(text, tokenize(text))
    assert err.value.status == 400 and err.value.code == "PGRST100"
    assert err.value.details == f"{problem} at position {position}"


def test_braces_balance_only_where_arrays_are_allowed() -> None:
    text = "tags.cs.{a,b),id.eq.1"
    with pytest.raises(ApiError) as err:
        split(text, tokenize(text), braces=True)
    assert err.value.details == 'unexpected ")" at position 12'
    assert len(split("a{,b", tokenize("a{,b"))) == 2  # a select list has no arrays


def test_select_list_with_alias_cast_embed_hint_and_json_path() -> None:
    items = p.parse_select('n:title::text,authors!author_id!inner(name,b:books(*)),meta->>"a.b",x:"a::b"::int')
    assert items == [
        p.SelectColumn(p.Field("title"), "n", "text"),
        p.SelectEmbed("authors", None, "author_id", True, [
            p.SelectColumn(p.Field("name")), p.SelectEmbed("books", "b", None, False, [p.SelectStar()])]),
        p.SelectColumn(p.Field("meta", (("->>", "a.b"),))),
        p.SelectColumn(p.Field("a::b"), "x", "int"),
    ]


def test_spread_and_aggregates_are_refused() -> None:
    for select, code in (("...authors(name)", "PGRST100"), ("count()", "PGRST123")):
        with pytest.raises(ApiError) as err:
            p.parse_select(select)
        assert err.value.code == code


def test_logic_tree_with_quoted_values_arrays_and_nesting() -> None:
    tree = p.parse_logic("not.or", '(title.eq."a,b)",tags.cs.{x,y},and(year.gt.2,year.not.in.(1,"2,3")))')
    assert tree.negated and tree.operator == "or"
    first, second, nested = tree.children
    assert (first.field.name, first.operator, first.value) == ("title", "eq", "a,b)")
    assert (second.operator, second.value) == ("cs", "{x,y}")
    assert nested.operator == "and" and nested.children[1] == p.Condition(p.Field("year"), "in", '(1,"2,3")', True)
    assert p.parse_list(nested.children[1].value) == ["1", "2,3"]


def test_filter_operator_with_modifier_and_array_values() -> None:
    c = p.parse_condition("meta->>k", "not.like(any).{a*,\"b,c\",NULL}")
    assert (c.negated, c.operator, c.modifier, c.field.json_path) == (True, "like", "any", (("->>", "k"),))
    assert p.parse_array(c.value) == ["a*", "b,c", None]
    assert p.parse_array('{"NULL"}') == ["NULL"]  # a quoted NULL is the text


def test_order_terms() -> None:
    terms = p.parse_order('year.desc.nullslast,"full name",meta->>k.asc')
    assert [(t.field, t.descending, t.nulls) for t in terms] == [
        (p.Field("year"), True, "last"), (p.Field("full name"), False, None), (p.Field("meta", (("->>", "k"),)), False, None)]
    for bad in ("year.sideways", "", "a...b"):
        with pytest.raises(ApiError) as err:
            p.parse_order(bad)
        assert err.value.code == "PGRST100"


def test_deep_nesting_is_refused_before_recursing() -> None:
    with pytest.raises(ApiError) as err:
        p.parse_logic("or", "(" + "and(" * 1500 + "id.eq.1" + ")" * 1500 + ")")
    assert err.value.code == "PGRST100" and "levels deep" in err.value.message
