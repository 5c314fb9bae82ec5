"""A tenant's configuration: the model, its defaults, and its home in Saleor metadata."""

from saleor_sms_app.config.model import (
    CONFIG_SCHEMA_VERSION,
    AppConfig,
    DryRun,
    ProviderConfig,
    Recipients,
    Rule,
    RuleConditions,
    ShopSettings,
)

__all__ = [
    "CONFIG_SCHEMA_VERSION",
    "AppConfig",
    "DryRun",
    "ProviderConfig",
    "Recipients",
    "Rule",
    "RuleConditions",
    "ShopSettings",
]
