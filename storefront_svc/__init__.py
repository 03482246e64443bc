"""storefront_svc package."""
