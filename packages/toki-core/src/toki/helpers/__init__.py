"""Optional helpers shipped with toki."""
