"""toki backend for local HuggingFace chat models, run in-process with transformers and torch.

::

    from toki import Agent
    from toki_local import LocalModel

    agent = Agent(LocalModel("smollm2-135m-instruct"))  # the embedded offline model
    agent.add_user_message("Say hello in 5 words")
    print(agent.execute())

Importing this package is cheap: torch and transformers load when a model is constructed.
"""

from toki_local.model import LocalModel
from toki_local.models import Attr, LocalModelName, attributes_map, list_huggingface_models, list_local_models

__all__ = [
    "Attr",
    "LocalModel",
    "LocalModelName",
    "attributes_map",
    "list_huggingface_models",
    "list_local_models",
]
