"""Provider wire simulators: local HTTP/1.1 servers that speak each LLM provider's real protocol.

Standard library only, so any package's tests can use them. Start one (`with OpenAIChatSim() as
sim:` or the pytest fixtures in `tests-integration/conftest.py`), point a client at `sim.base_url`,
script what the next requests get with `sim.enqueue(Turn(...))` / `sim.enqueue(Fault.status(429))` /
`sim.replay("openai/text.chunks.txt")`, and read what the client sent in `sim.requests`.
"""

from .anthropic import AnthropicSim
from .gemini import CachedContent, GeminiSim
from .messages import Abort, Data, Framing, Headers, Pause, RecordedRequest, Reply, Step
from .ollama import OllamaModel, OllamaSim
from .openai_chat import OpenAIChatSim
from .openrouter import OpenRouterSim, openrouter_model
from .protocol import ProtocolError, ProtocolSim, RenderContext
from .recorded import FIXTURES_DIR, fixture_names, read_fixture, recorded_reply
from .script import Fault, Finish, LineEnding, RawReply, Script, ToolCallScript, Turn, Usage
from .server import SimServer

__all__ = [
    "FIXTURES_DIR",
    "Abort",
    "Data",
    "Framing",
    "Pause",
    "Step",
    "AnthropicSim",
    "CachedContent",
    "Fault",
    "Finish",
    "GeminiSim",
    "Headers",
    "LineEnding",
    "OllamaModel",
    "OllamaSim",
    "OpenAIChatSim",
    "OpenRouterSim",
    "ProtocolError",
    "ProtocolSim",
    "RawReply",
    "RecordedRequest",
    "RenderContext",
    "Reply",
    "Script",
    "SimServer",
    "ToolCallScript",
    "Turn",
    "Usage",
    "fixture_names",
    "openrouter_model",
    "read_fixture",
    "recorded_reply",
]
