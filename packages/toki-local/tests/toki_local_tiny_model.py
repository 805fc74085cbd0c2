"""A tiny, deterministic HuggingFace chat model for tests, built in a few seconds.

:func:`build_tiny_model` writes a complete model folder (``config.json``, weights, tokenizer,
chat template) that :class:`toki_local.LocalModel` loads like any Hub checkpoint. The model is
a 2-layer Qwen2 (hidden size 64, about 100 K parameters) trained just long enough that greedy
decoding replays a handful of scripted replies *exactly*: plain text, a ``<think>`` block then
an answer, a ``<tool_call>`` envelope with arguments, and an answer to a tool result. That makes
the real transformers ``generate``/streamer path testable deterministically, offline.

The chat template is Qwen-style: tools are listed in a system block, assistant tool calls are
rendered as ``<tool_call>{"name": ..., "arguments": ...}</tool_call>``, tool results as
``<tool_response>`` blocks in a user turn; ``enable_thinking=False`` closes an empty
``<think></think>`` in the prompt (Qwen3's switch) and ``think_in_prompt=True`` opens ``<think>``
in the prompt, so the reply carries only the closing tag (the DeepSeek-R1/QwQ layout).

This module is shared by the package's tests and the integration suite: it has no pytest
dependency. Use :data:`SCRIPT` (the default scenarios) to know what the model will say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CHAT_TEMPLATE",
    "GET_WEATHER",
    "PROPOSE_PATCH",
    "SCRIPT",
    "Scenario",
    "build_tiny_model",
]

GET_WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}

PROPOSE_PATCH: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "propose_patch",
        "description": "Propose a replacement for a piece of code.",
        "parameters": {
            "type": "object",
            "properties": {"target": {"type": "string"}, "replacement": {"type": "string"}},
            "required": ["target", "replacement"],
        },
    },
}

# Qwen-style ChatML. ``message.content or ''`` because assistant tool-call turns carry no text.
CHAT_TEMPLATE = (
    "{% if tools %}"
    "<|im_start|>system\n"
    "{% if messages[0].role == 'system' %}{{ messages[0].content }}\n\n{% endif %}"
    "# Tools\n<tools>\n"
    "{% for tool in tools %}{{ tool | tojson }}\n{% endfor %}"
    "</tools>\n"
    'Call a tool with <tool_call>{"name": ..., "arguments": ...}</tool_call>.<|im_end|>\n'
    "{% elif messages[0].role == 'system' %}"
    "<|im_start|>system\n{{ messages[0].content }}<|im_end|>\n"
    "{% endif %}"
    "{% for message in messages %}"
    "{% if message.role == 'user' %}"
    "<|im_start|>user\n{{ message.content }}<|im_end|>\n"
    "{% elif message.role == 'assistant' %}"
    "<|im_start|>assistant\n{{ message.content or '' }}"
    "{% for call in message.tool_calls or [] %}"
    '<tool_call>\n{"name": "{{ call.function.name }}", "arguments": {{ call.function.arguments | tojson }}}\n'
    "</tool_call>"
    "{% endfor %}"
    "<|im_end|>\n"
    "{% elif message.role == 'tool' %}"
    "<|im_start|>user\n<tool_response>\n{{ message.content }}\n</tool_response><|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n"
    "{% elif think_in_prompt is defined and think_in_prompt %}<think>\n"
    "{% endif %}"
    "{% endif %}"
)

SPECIAL_TOKENS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
# Not special: the decoder must keep them in the text the splitter sees.
TAG_TOKENS = ["<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]


@dataclass(frozen=True)
class Scenario:
    """One scripted exchange: the conversation so far and the exact reply the model will generate.

    Attributes:
        name: a short handle for tests.
        messages: the conversation (OpenAI-style dicts, tool-call arguments as dicts).
        reply: the generated text (what greedy decoding produces, tags included).
        tools: the tools passed to the chat template.
        template_kwargs: extra chat-template variables (``enable_thinking``, ``think_in_prompt``).
    """

    name: str
    messages: Sequence[Mapping[str, Any]]
    reply: str
    tools: Sequence[Mapping[str, Any]] | None = None
    template_kwargs: Mapping[str, Any] = field(default_factory=lambda: dict[str, Any]())


_WEATHER_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
}

#: The default scenarios; greedy decoding of the built model reproduces each ``reply`` exactly.
SCRIPT: tuple[Scenario, ...] = (
    Scenario("text", [{"role": "user", "content": "Say hello"}], "Hello there! How can I help?"),
    Scenario(
        "thinking",
        [{"role": "user", "content": "What is 2+2?"}],
        "<think>\nTwo plus two makes four.\n</think>\n\nThe answer is 4.",
    ),
    Scenario(
        "thinking_in_prompt",
        [{"role": "user", "content": "What is 3+3?"}],
        "Three plus three makes six.\n</think>\n\nThe answer is 6.",
        template_kwargs={"think_in_prompt": True},
    ),
    Scenario(
        "no_thinking",
        [{"role": "user", "content": "What is 2+2?"}],
        "The answer is 4.",
        template_kwargs={"enable_thinking": False},
    ),
    Scenario(
        "tool_call",
        [{"role": "user", "content": "What is the weather in Paris?"}],
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
        tools=[GET_WEATHER],
    ),
    Scenario(
        "tool_result",
        [
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [_WEATHER_CALL]},
            {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny, 25C"},
        ],
        "It is sunny and 25C in Paris.",
        tools=[GET_WEATHER],
    ),
    Scenario(
        "streaming_tool_call",
        [{"role": "user", "content": "Make print('hi') louder."}],
        "Here is a patch.\n<tool_call>\n"
        '{"name": "propose_patch", "arguments": {"target": "print(\'hi\')", '
        '"replacement": "print(\'HI!\')  # louder, with a } and a \\"</tool_call>\\""}}'
        "\n</tool_call>",
        tools=[PROPOSE_PATCH],
    ),
)


def _prompt_and_reply_ids(tokenizer: Any, scenario: Scenario) -> tuple[list[int], list[int]]:
    prompt = tokenizer.apply_chat_template(
        [dict(m) for m in scenario.messages],
        tools=[dict(t) for t in scenario.tools] if scenario.tools else None,
        add_generation_prompt=True,
        tokenize=False,
        **scenario.template_kwargs,
    )
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    reply_ids = tokenizer(scenario.reply, add_special_tokens=False)["input_ids"]
    return list(prompt_ids), [*reply_ids, tokenizer.convert_tokens_to_ids("<|im_end|>")]


def _train_tokenizer(directory: Path, corpus: list[str]) -> None:
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    hf: Any = transformers  # only partly typed
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(corpus, trainer=trainer)
    wrapped = hf.PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        chat_template=CHAT_TEMPLATE,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    wrapped.add_tokens(TAG_TOKENS)
    wrapped.save_pretrained(directory)


def build_tiny_model(
    directory: str | Path, scenarios: Sequence[Scenario] = SCRIPT, *, max_steps: int = 400, seed: int = 0
) -> Path:
    """Build the tiny chat model into ``directory`` (created if needed) and return its path.

    Trains until greedy decoding reproduces every scenario's reply exactly (checked every 40
    steps from step 80 on; :data:`SCRIPT` needs 80 to 120), and raises ``RuntimeError`` if
    that has not happened after ``max_steps``. Takes about 5 s on an idle 2-core machine.
    """
    import torch
    import transformers

    hf: Any = transformers  # only partly typed
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    corpus: list[str] = []
    for scenario in scenarios:
        corpus.append(scenario.reply)
        corpus.extend(str(m.get("content") or "") for m in scenario.messages)
        corpus.extend(json.dumps(t) for t in scenario.tools or ())
    corpus.append(CHAT_TEMPLATE)
    _train_tokenizer(path, corpus)

    probe = hf.AutoTokenizer.from_pretrained(path)
    config = hf.Qwen2Config(
        vocab_size=len(probe),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        eos_token_id=probe.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=probe.convert_tokens_to_ids("<|endoftext|>"),
        bos_token_id=None,
    )
    config.save_pretrained(path)
    # transformers re-types the tokenizer by the config's model_type on reload (a qwen2 config
    # gives Qwen2Tokenizer); train on exactly the tokenizer LocalModel will load.
    tokenizer = hf.AutoTokenizer.from_pretrained(path)
    tokenizer.save_pretrained(path)

    # One thread: with every core busy, more threads spin-wait on each other and training
    # slows down 10x or worse; one thread is also bit-for-bit reproducible.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _train(path, tokenizer, config, scenarios, max_steps=max_steps, seed=seed)
    finally:
        torch.set_num_threads(threads)
    return path


def _train(
    path: Path, tokenizer: Any, config: Any, scenarios: Sequence[Scenario], *, max_steps: int, seed: int
) -> None:
    import torch
    import transformers

    hf: Any = transformers  # only partly typed
    generator: Any = torch
    generator.manual_seed(seed)
    model = hf.Qwen2ForCausalLM(config)
    model.generation_config = hf.GenerationConfig(
        do_sample=False, eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id
    )
    examples = [_prompt_and_reply_ids(tokenizer, s) for s in scenarios]
    width = max(len(p) + len(r) for p, r in examples)
    inputs = torch.full((len(examples), width), config.pad_token_id, dtype=torch.long)
    labels = torch.full((len(examples), width), -100, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (prompt, reply) in enumerate(examples):
        ids = prompt + reply
        inputs[row, : len(ids)] = torch.tensor(ids)
        mask[row, : len(ids)] = 1
        labels[row, len(prompt) : len(ids)] = torch.tensor(reply)  # loss on the reply only

    optimizer: Any = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    step = 0
    while True:
        for _ in range(40):
            optimizer.zero_grad()
            loss = model(input_ids=inputs, attention_mask=mask, labels=labels).loss
            loss.backward()
            optimizer.step()
            step += 1
        if step >= 80 and _replays(model, examples):
            break
        if step >= max_steps:
            raise RuntimeError(f"the tiny model does not replay its script after {step} steps")
    model.eval()
    model.save_pretrained(path)


def _replays(model: Any, examples: list[tuple[list[int], list[int]]]) -> bool:
    import torch

    model.eval()
    try:
        with torch.no_grad():
            for prompt, reply in examples:
                out = model.generate(
                    torch.tensor([prompt]),
                    attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                    max_new_tokens=len(reply) + 2,
                )
                if out[0, len(prompt) :].tolist() != reply:
                    return False
        return True
    finally:
        model.train()
