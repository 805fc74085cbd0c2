"""toki backend for Google Gemini AI Studio (via litellm; google-genai for explicit caches).

Importing this package (or ``toki.google``) imports neither litellm nor google-genai; they load
on first use.
"""

from toki_google.model import GoogleModel
from toki_google.models import Attr, GoogleModelName, attributes_map, list_google_models

__all__ = ["Attr", "GoogleModel", "GoogleModelName", "attributes_map", "list_google_models"]
