"""The Saleor side of the app: protocol code that knows nothing about Flask.

The events the app subscribes to (``events``), orders read fresh (``orders``),
the manifest, registration, signatures, tenants and webhook sync.
"""
