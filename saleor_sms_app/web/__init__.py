"""The thin Flask layer: blueprints that adapt HTTP to the framework-free code."""
