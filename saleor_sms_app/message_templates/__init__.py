"""Message templates: what the merchant writes, rendered safely into a text.

``sandbox`` runs a template in the sandboxed Jinja (tokens checked, output
capped); ``order_tokens`` is what a template sees for an order (the token
catalogue, the sample order, money as text) and the editor's preview;
``links`` makes the ``short_link`` helper's tracked links and follows them.
This ``__init__`` imports nothing.
"""
