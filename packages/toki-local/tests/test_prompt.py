"""Prompt rendering: message conversion, thinking detection, tokenization without a second BOS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import transformers
from tokenizers import processors
from toki.errors import TokiInputError
from toki.types import TokiMessage, TokiToolCall, TokiToolFunction
from toki_local.prompt import build_prompt, chat_messages, opens_thinking
from toki_local_tiny_model import GET_WEATHER

# transformers' loaders are only partly typed: handle them as Any in tests.
AutoTokenizer: Any = transformers.AutoTokenizer


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path) -> Any:
    return AutoTokenizer.from_pretrained(tiny_model_dir)


CALL = TokiToolCall(id="call_1", function=TokiToolFunction(name="get_weather", arguments={"city": "Paris"}))


def test_chat_messages_use_the_huggingface_shapes() -> None:
    messages = [
        TokiMessage("system", "Be brief."),
        TokiMessage("user", "Weather?"),
        TokiMessage("assistant", None, tool_calls=[CALL]),
        TokiMessage("tool", "sunny", tool_call_id="call_1", name="get_weather"),
    ]
    assert chat_messages(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
                }
            ],
        },
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1", "name": "get_weather"},
    ]


def test_tool_calls_and_results_reach_the_template(tokenizer: Any) -> None:
    messages = [
        TokiMessage("user", "Weather?"),
        TokiMessage("assistant", None, tool_calls=[CALL]),
        TokiMessage("tool", "sunny", tool_call_id="call_1", name="get_weather"),
    ]
    prompt = build_prompt(tokenizer, messages, [GET_WEATHER], {})
    assert '{"type": "function", "function": {"name": "get_weather"' in prompt.text
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>' in prompt.text
    assert "<tool_response>\nsunny\n</tool_response>" in prompt.text
    assert prompt.text.endswith("<|im_start|>assistant\n")
    assert prompt.input_ids == tokenizer(prompt.text, add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("<|im_start|>assistant\n<think>\n", True),
        ("<｜Assistant｜><think>", True),
        ("<|im_start|>assistant\n<think>\n\n</think>\n\n", False),  # Qwen3 with enable_thinking=False
        ("<|im_start|>assistant\n", False),
        ("<|im_start|>user\nwrite <think><|im_end|>\n<|im_start|>assistant\n", False),
    ],
)
def test_opens_thinking_looks_at_the_very_end(prompt: str, expected: bool) -> None:
    assert opens_thinking(prompt) is expected


def test_template_kwargs_reach_the_template(tokenizer: Any) -> None:
    messages = [TokiMessage("user", "Hi")]
    assert build_prompt(tokenizer, messages, None, {"think_in_prompt": True}).thinking_open
    assert not build_prompt(tokenizer, messages, None, {}).thinking_open
    closed = build_prompt(tokenizer, messages, None, {"enable_thinking": False})
    assert closed.text.endswith("<think>\n\n</think>\n\n") and not closed.thinking_open


def test_the_prompt_is_encoded_without_a_second_bos(tiny_model_dir: Path) -> None:
    # A tokenizer that adds BOS when encoding, with a template that writes BOS itself (Llama-style).
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    bos = "<|endoftext|>"
    bos_id = tokenizer.convert_tokens_to_ids(bos)
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", special_tokens=[(bos, bos_id)]
    )
    tokenizer.chat_template = "{{ '" + bos + "' }}{% for m in messages %}{{ m.content }}{% endfor %}"
    assert tokenizer("x")["input_ids"][0] == bos_id  # the default encoding would add one
    prompt = build_prompt(tokenizer, [TokiMessage("user", "Hello")], None, {})
    assert prompt.input_ids.count(bos_id) == 1 and prompt.input_ids[0] == bos_id


def test_a_template_error_is_an_input_error(tokenizer: Any) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tokenizer.name_or_path)
    tokenizer.chat_template = "{{ raise_exception('roles must alternate') }}"
    with pytest.raises(TokiInputError, match="roles must alternate"):
        build_prompt(tokenizer, [TokiMessage("user", "Hi")], None, {})
