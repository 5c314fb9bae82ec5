"""The Saleor side of the app: protocol code that knows nothing about Flask."""
