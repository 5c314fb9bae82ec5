"""Staff stock alerts: out of stock, back in stock, low stock, gathered into one text."""
