"""saleor-sms-app: a Saleor App that sends SMS when orders change."""

__version__ = "0.1.0"
