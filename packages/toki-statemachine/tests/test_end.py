from __future__ import annotations

import copy
import pickle
from enum import Enum

from toki_statemachine import END_STATE, EndState


def test_end_state_is_the_single_member_of_its_own_enum() -> None:
    assert END_STATE is EndState.END_STATE
    assert list(EndState) == [END_STATE]
    assert isinstance(END_STATE, Enum)


def test_end_state_prints_as_its_name() -> None:
    assert repr(END_STATE) == "END_STATE"
    assert str(END_STATE) == "END_STATE"


def test_end_state_keeps_its_identity_through_pickle_and_copy() -> None:
    assert pickle.loads(pickle.dumps(END_STATE)) is END_STATE
    assert copy.deepcopy(END_STATE) is END_STATE
