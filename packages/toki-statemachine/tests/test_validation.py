from __future__ import annotations

from enum import Enum, Flag, IntEnum, auto

import pytest
from toki_statemachine import END_STATE
from toki_statemachine._validation import check_max_steps, describe_callable, describe_value, is_member


class Num(IntEnum):
    ONE = 1


class Word(str, Enum):
    HI = "hi"


class Perm(Flag):
    R = auto()
    W = auto()


class Plain(Enum):
    A = 1
    ALIAS = 1  # noqa: PIE796  # an alias on purpose


def test_describe_value_names_members_whatever_their_str() -> None:
    assert describe_value(Num.ONE) == "Num.ONE"
    assert describe_value(Word.HI) == "Word.HI"
    assert describe_value(END_STATE) == "END_STATE"
    assert describe_value("hi") == "'hi'"
    assert describe_value(1) == "1"


def test_describe_callable() -> None:
    assert describe_callable(describe_value) == "describe_value"
    assert describe_callable(Num.ONE) == repr(Num.ONE)


def test_is_member_rejects_equal_plain_values_and_flag_combinations() -> None:
    assert is_member(Num.ONE, Num, frozenset(Num))
    assert not is_member(1, Num, frozenset(Num))
    assert not is_member("hi", Word, frozenset(Word))
    assert not is_member(Perm.R | Perm.W, Perm, frozenset(Perm))
    assert is_member(Plain.ALIAS, Plain, frozenset(Plain))  # an alias is the canonical member itself


@pytest.mark.parametrize("value", [1, 1000, None])
def test_check_max_steps_accepts_positive_ints_and_none(value: int | None) -> None:
    assert check_max_steps(value) == value
