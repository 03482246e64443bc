"""The storefront's resources: thin views over the commerce services."""
